// The prefix server's group commit (src/prefix/state-file.ts StateWriter): claims made while a write is
// on its way are carried by the next one, and a save resolves only once the file holds its change.
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadState, type PrefixState, StateWriter } from "../../../src/prefix/state-file.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function world() {
  const dir = mkdtempSync(join(tmpdir(), "vl3-state-"));
  dirs.push(dir);
  const path = join(dir, "prefixes.json");
  const allocations: PrefixState["allocations"] = [];
  let snapshots = 0;
  const writer = new StateWriter(path, () => {
    snapshots++;
    return { version: 1, pool: "172.16.0.0/16", prefixLen: 24, allocations: [...allocations] };
  });
  return { dir, path, allocations, writer, snapshots: () => snapshots };
}

describe("StateWriter", () => {
  it("groups changes made while a write is on its way, and each save finds its change on disk", async () => {
    const w = world();
    const saves = Array.from({ length: 50 }, (_, i) => {
      w.allocations.push({ identity: `nse-${i}`, prefix: `172.16.${i}.0/24` });
      return w.writer.save().then(() => loadState(w.path)!.allocations.length);
    });
    const seen = await Promise.all(saves);
    for (const [i, count] of seen.entries()) expect(count).toBeGreaterThanOrEqual(i + 1);
    // The first write carries the first change; every later one waited for it and went in one more.
    expect(w.snapshots()).toBeLessThanOrEqual(2);
    expect(loadState(w.path)!.allocations).toHaveLength(50);
    await w.writer.idle();
    expect(readdirSync(w.dir)).toEqual(["prefixes.json"]); // no temporary file left behind
  });

  it("rejects the waiting saves when the write fails, and writes again on the next save", async () => {
    const w = world();
    rmSync(w.dir, { recursive: true, force: true });
    await expect(w.writer.save()).rejects.toThrow(/ENOENT/);
    mkdirSync(w.dir, { recursive: true });
    await w.writer.save();
    expect(loadState(w.path)).toBeDefined();
  });
});
