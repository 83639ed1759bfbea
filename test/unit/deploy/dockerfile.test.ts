import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../../..");
const text = readFileSync(resolve(ROOT, "deploy/Dockerfile"), "utf8");
/** Instructions per stage (no Docker engine here: the file is checked, not built). */
const stages = text
  .replace(/\\\n/g, " ")
  .split("\n")
  .filter((l) => l.trim() && !l.trim().startsWith("#"))
  .reduce<string[][]>((acc, line) => {
    if (/^FROM /i.test(line)) acc.push([]);
    acc.at(-1)?.push(line.trim());
    return acc;
  }, []);

describe("deploy/Dockerfile", () => {
  it("builds on the official node:24 image and runs on node:24-slim", () => {
    expect(stages).toHaveLength(2);
    expect(stages[0]![0]).toBe("FROM node:24 AS build");
    expect(stages[1]![0]).toBe("FROM node:24-slim");
  });

  it("builds with the project's own build script into dist/", () => {
    const pkg = JSON.parse(readFileSync(resolve(ROOT, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    };
    const tsconfig = JSON.parse(readFileSync(resolve(ROOT, "tsconfig.json"), "utf8")) as {
      compilerOptions: { outDir: string };
    };
    expect(stages[0]).toContain("RUN npm ci");
    expect(stages[0]).toContain("RUN npm run build");
    expect(pkg.scripts.build).toMatch(/^tsc /);
    expect(tsconfig.compilerOptions.outDir).toBe("dist");
    for (const copied of stages[0]!
      .filter((l) => l.startsWith("COPY "))
      .flatMap((l) => l.split(/\s+/).slice(1, -1))) {
      expect(existsSync(resolve(ROOT, copied)), copied).toBe(true);
    }
  });

  it("ships production dependencies and dist/ only, and runs `main.js run`", () => {
    const run = stages[1]!;
    expect(run.some((l) => /^RUN npm ci --omit=dev\b/.test(l))).toBe(true);
    expect(run).toContain("COPY --from=build /src/dist ./dist");
    expect(run).toContain('ENTRYPOINT ["node", "dist/src/cli/main.js"]');
    expect(run).toContain('CMD ["run"]');
    expect(existsSync(resolve(ROOT, "src/cli/main.ts"))).toBe(true);
    expect(run.some((l) => l.includes("iproute2"))).toBe(true);
  });

  it("builds the fd-passing addon strictly and ships it where src/fd/native.ts looks", () => {
    expect(stages[0]).toContain("RUN npm run build:native");
    expect(stages[1]).toContain(
      "COPY --from=build /src/native/fd/build/Release/vl3_fd.node ./native/fd/build/Release/vl3_fd.node",
    );
    const native = readFileSync(resolve(ROOT, "src/fd/native.ts"), "utf8");
    expect(native).toContain("native/fd/build/Release/vl3_fd.node");
  });

  it("sends only what the build needs as its context", () => {
    const ignore = readFileSync(resolve(ROOT, "deploy/Dockerfile.dockerignore"), "utf8");
    expect(ignore).toMatch(/^\*\*$/m);
    for (const kept of [
      "package.json",
      "package-lock.json",
      "tsconfig.json",
      "scripts/**",
      "src/**",
      "bin/**",
      "native/fd/**",
    ]) {
      expect(ignore).toContain(`!${kept}`);
    }
  });
});
