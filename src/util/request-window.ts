// How many requests of one kind a client keeps in flight, adapted as TCP adapts its window: twice as
// many for each window's worth answered in time until the first runs out of time (slow start), then one
// more per window's worth; half as many whenever one runs out of time. A fixed number is
// either too few for an idle node or too many for a busy one, where requests queued past their deadline
// are retried and the retries queue behind them (no full mesh of 100 endpoints in 120 s, measured).
import PQueue from "p-queue";

export interface RequestWindowOptions {
  /** In flight at first (default 4), never fewer than `min` (default 1) nor more than `max` (default 32). */
  initial?: number;
  min?: number;
  max?: number;
  /** One shrink per this long at most: requests that ran out of time together are one sign, not many. */
  calmMs: number;
  now?: () => number;
}

/** Whether the sender of a request still waits for it (an AbortSignal is one). */
export interface Abandonable {
  readonly aborted: boolean;
}

/** Thrown for a request whose sender gave up (`signal`) before its turn came: it was never sent. */
export class AbandonedError extends Error {}

export class RequestWindow {
  private readonly queue: PQueue;
  private size: number;
  /** Below this the window doubles per window's worth of answers; above, it grows by one. */
  private threshold: number;
  private shrunkAt = Number.NEGATIVE_INFINITY;
  private readonly min: number;
  private readonly max: number;
  private readonly now: () => number;

  constructor(private readonly o: RequestWindowOptions) {
    this.min = Math.max(1, o.min ?? 1);
    this.max = Math.max(this.min, o.max ?? 32);
    this.size = Math.min(this.max, Math.max(this.min, o.initial ?? 4));
    this.threshold = this.max;
    this.now = o.now ?? Date.now;
    this.queue = new PQueue({ concurrency: Math.floor(this.size) });
  }

  /** Requests allowed in flight now. */
  get limit(): number {
    return this.queue.concurrency;
  }

  /** Requests waiting for their turn. */
  get waiting(): number {
    return this.queue.size;
  }

  /**
   * Sends when a place is free (in order), unless `signal` aborted meanwhile. `late(error)` says whether
   * a failure means the request ran out of time (the window shrinks); success grows it.
   */
  run<T>(send: () => Promise<T>, late: (error: unknown) => boolean, signal?: Abandonable): Promise<T> {
    return this.queue.add(async () => {
      if (signal?.aborted) throw new AbandonedError("abandoned before it was sent");
      try {
        const value = await send();
        this.resize(this.size < this.threshold ? this.size + 1 : this.size + 1 / this.size);
        return value;
      } catch (error) {
        if (late(error) && this.now() - this.shrunkAt >= this.o.calmMs) {
          this.shrunkAt = this.now();
          this.threshold = Math.max(this.min, this.size / 2);
          this.resize(this.threshold);
        }
        throw error;
      }
    }) as Promise<T>;
  }

  /** Drops every request still waiting (their promises stay pending: their senders are going away). */
  clear(): void {
    this.queue.clear();
  }

  private resize(size: number): void {
    this.size = Math.min(this.max, Math.max(this.min, size));
    const limit = Math.floor(this.size);
    if (limit !== this.queue.concurrency) this.queue.concurrency = limit;
  }
}
