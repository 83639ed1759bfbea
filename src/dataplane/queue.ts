// The data-plane transaction queue: one transaction in flight per back end (p-queue, concurrency 1),
// changes queued for the same owner coalesced (the newest desired state wins), duplicate keys removed
// before sending, and each owner told the outcome of its own change.
import PQueue from "p-queue";
import type { LifecycleSignal } from "../actors/observe.js";
import type { Logger } from "../log.js";
import { Backoff } from "../util/backoff.js";
import { type Dataplane, DataplaneUnavailableError, type Item, itemKey, type Transaction } from "./types.js";

interface Waiter {
  resolve(): void;
  reject(error: Error): void;
}

interface Pending {
  items: Map<string, Item>;
  waiters: Waiter[];
}

export interface QueueOptions {
  log: Logger;
  /** Backoff while the back end is unavailable. */
  retry?: { initialMs: number; maxMs: number };
  /** Owners coalesced into one transaction at most: the back end's `maxBatch`, else 64. */
  maxBatch?: number;
  onSignal?: (signal: LifecycleSignal) => void;
}

const MAX_BATCH = 64;

function byKey(items: Item[]): Map<string, Item> {
  const keyed = new Map<string, Item>();
  for (const item of items) keyed.set(itemKey(item), item);
  return keyed;
}

export class DataplaneQueue {
  /** What each owner has programmed: a plain array (keyed only while a transaction is built), as a
   * Map of its own per owner costs ~300 bytes at 10,000 connections. */
  private readonly applied = new Map<string, Item[]>();
  private readonly pending = new Map<string, Pending>();
  private readonly runner = new PQueue({ concurrency: 1 });
  private retryTimer?: NodeJS.Timeout;
  private flushQueued = false;
  private readonly backoff: Backoff;
  private closed = false;
  private readonly unsubscribeReset?: () => void;

  constructor(
    readonly backend: Dataplane,
    private readonly options: QueueOptions,
  ) {
    this.backoff = new Backoff(options.retry ?? { initialMs: 200, maxMs: 10_000 });
    this.unsubscribeReset = backend.onReset?.(() => this.resyncAfterReset());
  }

  /** Makes `items` the programmed state of `owner`; resolves once the back end carries it. */
  set(owner: string, items: Item[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error("data-plane queue is closed"));
    return new Promise<void>((resolve, reject) => {
      const previous = this.pending.get(owner);
      const waiter = { resolve, reject };
      if (previous) {
        previous.items = byKey(items);
        previous.waiters.push(waiter);
      } else this.pending.set(owner, { items: byKey(items), waiters: [waiter] });
      this.schedule();
    });
  }

  remove(owner: string): Promise<void> {
    return this.set(owner, []);
  }

  /** Everything this NSE wants programmed, across owners. */
  desired(): Item[] {
    return [...this.applied.values()].flat();
  }

  ownedBy(owner: string): Item[] {
    return [...(this.applied.get(owner) ?? [])];
  }

  /** Replaces the back end's state with the desired state (start-up, after a back-end restart). */
  resync(): Promise<void> {
    return this.runner.add(() => this.backend.resync(this.desired()));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribeReset?.();
    clearTimeout(this.retryTimer);
    for (const p of this.pending.values())
      for (const w of p.waiters) w.reject(new Error("data-plane queue closed"));
    this.pending.clear();
    await this.runner.onIdle();
  }

  /** The back end may have lost its state (an agent restart): put everything back, retrying while it is unavailable. */
  private resyncAfterReset(): void {
    if (this.closed) return;
    this.resync().catch((err) => {
      this.options.log.warn({ err }, "resync after a back-end reset failed");
      if (err instanceof DataplaneUnavailableError)
        setTimeout(() => this.resyncAfterReset(), this.backoff.next()).unref();
    });
  }

  /**
   * At most one flush waits to start: it takes everything pending when it does. It starts on the next
   * turn of the event loop, not at once, so that the changes of every call served in this turn go in
   * one transaction (an idle p-queue would otherwise run a transaction per change).
   */
  private schedule(): void {
    if (this.retryTimer || this.flushQueued) return;
    this.flushQueued = true;
    void this.runner.add(async () => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.flushQueued = false;
      return this.flush();
    });
  }

  private async flush(): Promise<void> {
    // The oldest owners first, without copying all that wait (a burst may queue thousands).
    const max = this.options.maxBatch ?? this.backend.maxBatch ?? MAX_BATCH;
    const batch: Array<[string, Pending]> = [];
    for (const entry of this.pending) {
      if (batch.length >= max) break;
      batch.push(entry);
    }
    if (batch.length === 0) return;
    for (const [owner] of batch) this.pending.delete(owner);
    const retry = await this.run(batch);
    if (retry.length > 0) {
      if (this.closed) {
        for (const [, p] of retry) for (const w of p.waiters) w.reject(new Error("data-plane queue closed"));
        return;
      }
      // Put them back unless something newer arrived meanwhile; keep every waiter.
      for (const [owner, p] of retry) {
        const newer = this.pending.get(owner);
        this.pending.set(
          owner,
          newer ? { items: newer.items, waiters: [...p.waiters, ...newer.waiters] } : p,
        );
      }
      this.retryLater();
      return;
    }
    this.backoff.reset();
    if (this.pending.size > 0) this.schedule();
  }

  /**
   * Applies a batch; on a failure of several owners, retries each half (and so on down to one owner)
   * to blame only the culprit: one bad owner among n costs about 2·log2(n) transactions, not n.
   * Returns the owners still to apply because the back end is unavailable (only those: an owner
   * already answered, applied or failed, must not be applied again later).
   */
  private async run(batch: Array<[string, Pending]>): Promise<Array<[string, Pending]>> {
    const txn = this.transaction(batch);
    const started = performance.now();
    try {
      if (txn.put.length + txn.del.length > 0) await this.backend.apply(txn);
      this.signal("ok", started, txn);
    } catch (error) {
      this.signal("error", started, txn);
      if (error instanceof DataplaneUnavailableError) {
        this.options.log.warn({ err: error }, "data plane unavailable; will retry");
        return batch;
      }
      if (batch.length > 1) {
        const half = Math.ceil(batch.length / 2);
        return [...(await this.run(batch.slice(0, half))), ...(await this.run(batch.slice(half)))];
      }
      const err = error instanceof Error ? error : new Error(String(error));
      for (const w of batch[0]![1].waiters) w.reject(err);
      return [];
    }
    for (const [owner, p] of batch) {
      if (p.items.size === 0) this.applied.delete(owner);
      else this.applied.set(owner, [...p.items.values()]);
      for (const w of p.waiters) w.resolve();
    }
    return [];
  }

  private transaction(batch: Array<[string, Pending]>): Transaction {
    const put = new Map<string, Item>();
    const del = new Map<string, Item>();
    for (const [owner, p] of batch) {
      const before = byKey(this.applied.get(owner) ?? []);
      for (const [key, item] of p.items) {
        const old = before.get(key);
        if (!old || JSON.stringify(old) !== JSON.stringify(item)) put.set(key, item);
      }
      for (const [key, item] of before) if (!p.items.has(key)) del.set(key, item);
    }
    // A key removed by one owner and put by another in the same batch is a put, not both.
    for (const key of put.keys()) del.delete(key);
    return { put: [...put.values()], del: [...del.values()] };
  }

  private retryLater(): void {
    const delay = this.backoff.next();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.closed) this.schedule();
    }, delay);
    this.retryTimer.unref();
  }

  private signal(outcome: "ok" | "error", started: number, txn: Transaction): void {
    this.options.onSignal?.({
      type: "dataplane",
      backend: this.backend.name,
      outcome,
      seconds: (performance.now() - started) / 1000,
      items: txn.put.length + txn.del.length,
    });
  }
}
