// Shared by the registry and prefix integration tests: bounded polling and event collection.
import { setTimeout as sleep } from "node:timers/promises";

/** Polls `check` until it returns true; fails after `timeoutMs` (every loop here is bounded). */
export async function waitFor(
  check: () => boolean,
  what: string,
  timeoutMs = 5000,
  stepMs = 10,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(stepMs);
  }
}

/** Reads every `data` of a stream into an array (and errors into another). */
export function collect<T>(stream: NodeJS.EventEmitter): { items: T[]; errors: Error[] } {
  const out = { items: [] as T[], errors: [] as Error[] };
  stream.on("data", (d: T) => out.items.push(d));
  stream.on("error", (e: Error) => out.errors.push(e));
  return out;
}
