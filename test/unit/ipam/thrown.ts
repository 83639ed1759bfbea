// What a call threw, for exact assertions on error classes, fields and messages.

/** Runs fn and returns what it threw (fails if it did not throw). */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected a throw");
}
