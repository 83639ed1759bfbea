// Builds native/fd (the SCM_RIGHTS addon) with node-gyp against the headers of the project's own
// Node (the `node` npm package ships them), so nothing is downloaded. Runs at `npm install`/`npm ci`.
// A machine that cannot build it (no compiler, not Linux, production install without node-gyp) gets
// a warning and vl3-nse without fd passing (src/fd/native.ts reports why); `--strict` makes it fatal.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const strict = process.argv.includes("--strict");
const require = createRequire(import.meta.url);

function giveUp(reason) {
  const message = `native/fd not built: ${reason}`;
  if (strict) {
    console.error(`build-native: ${message}`);
    process.exit(1);
  }
  console.warn(`build-native: ${message}; vl3-nse runs without fd passing (docs/fd-passing.md)`);
  process.exit(0);
}

const dir = join(root, "native/fd");
const built = join(dir, "build/Release/vl3_fd.node");
// A repeated install keeps a build that is newer than every source (and the node package may be gone
// from under node_modules/node then: npm prunes what its preinstall added).
const sources = readdirSync(dir).filter((f) => /\.(cc|h|gyp)$/.test(f));
if (
  !strict &&
  existsSync(built) &&
  sources.every((f) => statSync(join(dir, f)).mtimeMs <= statSync(built).mtimeMs)
) {
  console.log("build-native: native/fd is up to date");
  process.exit(0);
}
if (process.platform !== "linux") giveUp(`SCM_RIGHTS passing is Linux-only (this is ${process.platform})`);
let gyp;
try {
  gyp = require.resolve("node-gyp/bin/node-gyp.js");
  require.resolve("node-addon-api");
} catch {
  giveUp("node-gyp or node-addon-api is not installed (a production install builds nothing)");
}
// The project's Node comes as the `node` package, whose platform package holds include/node.
const platformPackage = `node-${process.platform}-${process.arch}/package.json`;
let nodedir;
try {
  nodedir = dirname(require.resolve(platformPackage, { paths: [join(root, "node_modules/node")] }));
} catch {
  nodedir = dirname(dirname(process.execPath));
}
if (!existsSync(join(nodedir, "include/node/node_api.h"))) giveUp(`no Node headers under ${nodedir}`);
try {
  execFileSync(process.execPath, [gyp, "rebuild", "--release", `--nodedir=${nodedir}`], {
    cwd: dir,
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, npm_config_nodedir: nodedir },
  });
} catch (err) {
  const stderr = String(err.stderr ?? err.message)
    .trim()
    .split("\n")
    .slice(-8)
    .join("\n");
  giveUp(`node-gyp failed (Debian: apt-get install build-essential python3):\n${stderr}`);
}
console.log(`build-native: ${built}`);
