// The prefix book answers a claim only once the state file holds it (persisted()). A write that failed
// must not fail every later claim that changes nothing (an endpoint claiming the prefix it holds): the
// state is written again, and the claim is answered once that write is on disk.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { PrefixBook } from "../../../src/prefix/book.js";
import { loadState } from "../../../src/prefix/state-file.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("PrefixBook after a failed state write", () => {
  it("writes again for the next claim, even one that changes nothing, and answers it once on disk", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vl3-book-"));
    dirs.push(dir);
    const path = join(dir, "prefixes.json");
    const book = new PrefixBook("198.18.0.0/16", 24, [], path);
    rmSync(dir, { recursive: true, force: true }); // the write fails: no directory
    const prefix = book.allocate({ identity: "nse-a" }, "", []);
    await expect(book.persisted()).rejects.toThrow(/ENOENT/);
    mkdirSync(dir, { recursive: true });
    // nse-a claims the prefix it holds again (its stream came back): nothing changes in the book.
    expect(book.allocate({ identity: "nse-a" }, prefix, [])).toBe(prefix);
    await book.persisted();
    expect(loadState(path)?.allocations).toEqual([{ identity: "nse-a", prefix }]);
    // An anonymous claim after another failed write is answered too, once the state is written.
    rmSync(dir, { recursive: true, force: true });
    book.allocate({ identity: "nse-b" }, "", []);
    await expect(book.persisted()).rejects.toThrow(/ENOENT/);
    mkdirSync(dir, { recursive: true });
    book.allocate({ stream: 1 }, "", []);
    await book.persisted();
    expect(loadState(path)?.allocations.map((a) => a.identity)).toEqual(["nse-a", "nse-b"]);
  });
});
