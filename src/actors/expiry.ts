// The connections' expiry timers, owned by the runtime and keyed by connection id. Not XState
// delayed events: one place clears them all when the endpoint stops or aborts (an actor stopped at
// once runs no exit actions), and, unref'd, they never keep the process alive.

export class ExpiryTimers {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  /** Calls `expired` after `ms` unless disarmed (or re-armed) first. */
  arm(id: string, ms: number, expired: () => void): void {
    this.disarm(id);
    const timer = setTimeout(() => {
      this.timers.delete(id);
      expired();
    }, ms);
    // An endpoint stopped at once (abort) does not run exit actions; these must not hold the process.
    timer.unref();
    this.timers.set(id, timer);
  }

  disarm(id: string): void {
    clearTimeout(this.timers.get(id));
    this.timers.delete(id);
  }

  clear(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
