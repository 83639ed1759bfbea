// Keeps a flood of alike log lines (one per refused Request from a hostile or broken client) from
// flooding the log: per key, the first `burst` lines of each window are logged, the rest counted and
// reported in one summary line when the window ends. Time and timers are parameters (tests are exact).
export interface LogLimiterOptions {
  /** Lines logged per key and window. */
  burst?: number;
  windowMs?: number;
  now?: () => number;
  /** Runs `fn` after `ms` (unref'd by default: a pending summary never holds the process). */
  schedule?: (fn: () => void, ms: number) => void;
}

interface Window {
  started: number;
  logged: number;
  suppressed: number;
}

export class LogLimiter {
  private readonly windows = new Map<string, Window>();
  private readonly burst: number;
  private readonly windowMs: number;
  private readonly now: () => number;
  private readonly schedule: (fn: () => void, ms: number) => void;

  constructor(
    /** Writes the summary of `suppressed` lines not logged for `key` in the window that ended. */
    private readonly summarize: (key: string, suppressed: number, windowMs: number) => void,
    o: LogLimiterOptions = {},
  ) {
    this.burst = o.burst ?? 10;
    this.windowMs = o.windowMs ?? 10_000;
    this.now = o.now ?? Date.now;
    this.schedule = o.schedule ?? ((fn, ms) => setTimeout(fn, ms).unref());
  }

  /** Runs `write` unless `key` has had its burst in this window (then it is counted). */
  log(key: string, write: () => void): void {
    const now = this.now();
    let w = this.windows.get(key);
    if (w && now - w.started >= this.windowMs) {
      this.end(key, w);
      w = undefined;
    }
    if (!w) {
      w = { started: now, logged: 0, suppressed: 0 };
      this.windows.set(key, w);
    }
    if (w.logged < this.burst) {
      w.logged++;
      write();
      return;
    }
    // The first line held back arms the summary at the window's end.
    if (w.suppressed++ === 0) {
      const window = w;
      this.schedule(
        () => {
          if (this.windows.get(key) === window) this.end(key, window);
        },
        w.started + this.windowMs - now,
      );
    }
  }

  private end(key: string, w: Window): void {
    this.windows.delete(key);
    if (w.suppressed > 0) this.summarize(key, w.suppressed, this.windowMs);
  }
}
