#!/usr/bin/env node
// The vl3-nse command. In a checkout (sources and tsx present) it runs the TypeScript sources; in
// the image (`npm ci --omit=dev`, no sources) it runs the compiled dist/.
import { existsSync } from "node:fs";

const source = new URL("../src/cli/main.ts", import.meta.url);
const built = new URL("../dist/src/cli/main.js", import.meta.url);

let tsx;
if (existsSync(source)) tsx = await import("tsx/esm/api").catch(() => undefined);
if (tsx) {
  tsx.register();
  await import(source.href);
} else if (existsSync(built)) {
  await import(built.href);
} else {
  process.stderr.write("vl3-nse: neither the sources with tsx nor dist/ are here; run `npm ci && npm run build`\n");
  process.exitCode = 1;
}
