// Runs every step of a shutdown, in order, even when one throws: a step that fails must not leak what
// the later ones would have let go (servers, sockets, timers). Each failure is logged naming its step;
// at the end the first error is thrown again, or an AggregateError when several steps failed.
import type { Logger } from "../log.js";

/** One step: what it lets go (for the log) and the work, sync or async. */
export type Step = readonly [name: string, run: () => unknown];

export async function everyStep(what: string, steps: readonly Step[], log: Logger): Promise<void> {
  const failed: Array<{ name: string; err: unknown }> = [];
  for (const [name, run] of steps) {
    try {
      await run();
    } catch (err) {
      failed.push({ name, err });
      log.warn({ err, step: name }, `${what}: a step failed; the rest still run`);
    }
  }
  if (failed.length === 1) throw failed[0]!.err;
  if (failed.length > 1) {
    const names = failed.map((f) => f.name).join(", ");
    throw new AggregateError(
      failed.map((f) => f.err),
      `${what}: ${failed.length} steps failed (${names})`,
    );
  }
}
