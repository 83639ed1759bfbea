// The connections' expiry timers, owned by the runtime and keyed by connection id. Not XState
// delayed events: one place clears them all when the endpoint stops or aborts (an actor stopped at
// once runs no exit actions). One Node timer for all of them, set for the earliest, unref'd so it
// never keeps the process alive: a timer per connection costs ~200 bytes at 10,000 connections.

/** What is told when its time is up: a connection actor (no closure held per connection). */
export interface Expiring {
  send(event: { type: "EXPIRED" }): void;
}

const EXPIRED = { type: "EXPIRED" } as const;

export class ExpiryTimers {
  private readonly due = new Map<string, { at: number; target: Expiring }>();
  private timer?: NodeJS.Timeout;
  private timerAt = Number.POSITIVE_INFINITY;

  /** Sends EXPIRED to `target` after `ms` unless disarmed (or re-armed) first. */
  arm(id: string, ms: number, target: Expiring): void {
    const at = Date.now() + ms;
    this.due.delete(id);
    this.due.set(id, { at, target });
    if (at < this.timerAt) this.schedule(at);
  }

  disarm(id: string): void {
    // The timer stays set for the earliest it knew of; firing early finds nothing due and re-arms.
    this.due.delete(id);
    if (this.due.size === 0) this.clear();
  }

  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    this.due.clear();
  }

  private schedule(at: number): void {
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.sweep(), Math.max(0, at - Date.now()));
    this.timer.unref();
  }

  /** Fires every timer that is due, then sets the one timer for the earliest left. */
  private sweep(): void {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    const now = Date.now();
    const fired: Expiring[] = [];
    let next = Number.POSITIVE_INFINITY;
    for (const [id, d] of this.due) {
      if (d.at <= now) {
        this.due.delete(id);
        fired.push(d.target);
      } else if (d.at < next) next = d.at;
    }
    if (Number.isFinite(next)) this.schedule(next);
    for (const target of fired) target.send(EXPIRED);
  }
}
