// Generates TypeScript from src/grpc/proto/**/*.proto with the protoc npm package and ts-proto.
// Offline, and run before build and test so that generated code never goes stale in git.
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const protoDir = join(root, "src/grpc/proto");
const outDir = join(root, "src/grpc/gen");

function protoFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return protoFiles(path);
    return name.endsWith(".proto") ? [relative(protoDir, path)] : [];
  });
}

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
const options = [
  "outputServices=grpc-js",
  "esModuleInterop=true",
  "importSuffix=.js",
  "env=node",
  "useDate=true",
  "forceLong=number",
];
execFileSync(
  join(root, "node_modules/.bin/protoc"),
  [
    `-I${protoDir}`,
    `--plugin=protoc-gen-ts_proto=${join(root, "node_modules/.bin/protoc-gen-ts_proto")}`,
    `--ts_proto_out=${outDir}`,
    `--ts_proto_opt=${options.join(",")}`,
    ...protoFiles(protoDir),
  ],
  { cwd: protoDir, stdio: "inherit" },
);

function generated(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? generated(path) : [path];
  });
}

// NSM's Close RPC becomes a client method `close(request, ...)` that shadows grpc-js Client.close();
// the generated interface is right for callers, so only that declaration is exempted from the check.
const exemptClose = (text) =>
  text.replace(
    /^(export interface \w+Client extends Client \{\n(?:(?!^\}).*\n)*? {2}close\()/m,
    "// @ts-ignore -- the NetworkService Close RPC shadows grpc-js Client.close()\n$1",
  );

// Service definitions serialize through src/grpc/serialize.ts (one reused writer, one copy) instead of
// ts-proto's `Buffer.from(X.encode(value).finish())`, which ts-proto has no option to change.
const serializer = join(root, "src/grpc/serialize.js");
function reuseWriter(file, text) {
  const patched = text.replace(
    /Buffer\.from\(\s*(\w+)\.encode\(value\)\.finish\(\)\s*\)/g,
    "serialize($1, value)",
  );
  if (patched === text) return text;
  if (/Buffer\.from\(\s*\w+\.encode\(/.test(patched))
    throw new Error(`${file}: a serializer was left unpatched`);
  const from = relative(dirname(file), serializer);
  return patched.replace(
    /^import /m,
    `import { serialize } from "${from.startsWith(".") ? from : `./${from}`}";\nimport `,
  );
}

for (const file of generated(outDir)) {
  const text = readFileSync(file, "utf8");
  const patched = reuseWriter(file, exemptClose(text));
  if (patched !== text) writeFileSync(file, patched);
}
