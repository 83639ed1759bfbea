// The prefix server's allocations on disk. Written whole through a temporary file and a rename, so a
// crash leaves either the old state or the new one, never half of either. Writes are asynchronous and
// grouped (StateWriter): a hundred endpoints claiming at once cost a few writes, not a hundred fsyncs
// in a row on the server's event loop.
import { readFileSync } from "node:fs";
import { open, rename, rm } from "node:fs/promises";
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
export async function saveState(path: string, state: PrefixState): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${++sequence}.tmp`);
  try {
    const file = await open(tmp, "w", 0o644);
    try {
      await file.writeFile(`${JSON.stringify(state, null, 2)}\n`);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Group commit of the state: one write at a time; every change made while one is on its way is carried
 * by the next, which takes the state as it is when it starts. `save` resolves once a write that began
 * after the call is on disk, so an answer that waits for it is never ahead of the file.
 */
export class StateWriter {
  private writing = false;
  private waiting: Waiter[] = [];
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly path: string,
    private readonly state: () => PrefixState,
  ) {}

  save(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      if (!this.writing) void this.run();
    });
  }

  /** Resolves once nothing is being written or waits to be. */
  idle(): Promise<void> {
    if (!this.writing) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async run(): Promise<void> {
    this.writing = true;
    while (this.waiting.length > 0) {
      const batch = this.waiting;
      this.waiting = [];
      try {
        await saveState(this.path, this.state());
        for (const w of batch) w.resolve();
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
    this.writing = false;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
