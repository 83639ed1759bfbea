// The prefix server's allocations on disk. Written whole on every change through a temporary file
// and a rename, so a crash leaves either the old state or the new one, never half of either.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

export interface PrefixState {
  version: 1;
  pool: string;
  prefixLen: number;
  /** Allocations of endpoints that named themselves; anonymous ones end with their stream. */
  allocations: { identity: string; prefix: string }[];
}

/** Reads the state; undefined if there is no file yet. A file that is not ours is an error. */
export function loadState(path: string): PrefixState | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  let state: Partial<PrefixState>;
  try {
    state = JSON.parse(text) as Partial<PrefixState>;
  } catch (err) {
    throw new Error(`prefix state ${path}: not JSON (${(err as Error).message})`);
  }
  const ok =
    state.version === 1 &&
    typeof state.pool === "string" &&
    typeof state.prefixLen === "number" &&
    Array.isArray(state.allocations) &&
    state.allocations.every((a) => typeof a?.identity === "string" && typeof a?.prefix === "string");
  if (!ok) throw new Error(`prefix state ${path}: not a version 1 prefix state file`);
  return state as PrefixState;
}

let sequence = 0;

/** Replaces the state file atomically (same directory, so the rename never crosses filesystems). */
export function saveState(path: string, state: PrefixState): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${++sequence}.tmp`);
  try {
    const fd = openSync(tmp, "w", 0o644);
    try {
      writeSync(fd, `${JSON.stringify(state, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}
