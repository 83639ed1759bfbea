// Retry delays: exponential growth with jitter, so that many endpoints that lost the same server
// (a registry or prefix server restart) do not all come back at the same instant.

export interface BackoffOptions {
  /** Delay scale of the first retry. */
  initialMs: number;
  /** No delay is ever longer than this. */
  maxMs: number;
  /**
   * "equal" (default) waits between half and all of the exponential step, so a retry is never
   * immediate; "full" waits anywhere from 0 to the step, which spreads a crowd the most.
   */
  jitter?: "full" | "equal";
  /** Source of randomness in [0, 1); tests pass a fixed one. */
  random?: () => number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 200, maxMs: 10_000 };

/** The delay before retry number `attempt` (0 for the first retry), in [0, maxMs]. */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const initial = Math.max(0, options.initialMs);
  const max = Math.max(initial, options.maxMs);
  // Cap the exponent: 2^40 of anything is past any sane maximum, and this avoids Infinity.
  const n = Math.min(Math.max(0, Math.floor(attempt)), 40);
  const step = Math.min(max, initial * 2 ** n);
  const r = clamp01((options.random ?? Math.random)());
  const delay = options.jitter === "full" ? step * r : step / 2 + (step / 2) * r;
  return Math.min(max, Math.round(delay));
}

/** Attempt counting around backoffDelay: `next()` gives the next delay, `reset()` after a success. */
export class Backoff {
  private attempt = 0;

  constructor(private readonly options: BackoffOptions = DEFAULT_BACKOFF) {}

  next(): number {
    return backoffDelay(this.attempt++, this.options);
  }

  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}

function clamp01(x: number): number {
  if (!Number.isFinite(x) || x < 0) return 0;
  return x >= 1 ? 1 - Number.EPSILON : x;
}
