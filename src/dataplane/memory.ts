// The in-memory data plane: the default for the demo and tests. It keeps items by key, checks that
// addresses and routes name an interface that exists, and lets tests make it fail or go away.
import { type Dataplane, DataplaneUnavailableError, type Item, itemKey, type Transaction } from "./types.js";

export class MemoryDataplane implements Dataplane {
  readonly name = "memory";
  private readonly items = new Map<string, Item>();
  /** While true, every call throws DataplaneUnavailableError (a back end that went away). */
  unavailable = false;
  /** A predicate that makes a transaction fail (as a back end rejecting an item would). */
  failWhen?: (txn: Transaction) => boolean;
  transactions = 0;

  async apply(txn: Transaction): Promise<void> {
    this.check();
    if (this.failWhen?.(txn)) throw new Error("memory data plane: injected failure");
    const next = new Map(this.items);
    for (const item of txn.del) next.delete(itemKey(item));
    for (const item of txn.put) next.set(itemKey(item), item);
    for (const item of next.values()) {
      if (item.type !== "interface" && !next.has(`interface/${item.ifName}`)) {
        // All or nothing: the transaction leaves no trace.
        throw new Error(`memory data plane: ${itemKey(item)} names a missing interface ${item.ifName}`);
      }
    }
    this.items.clear();
    for (const [k, v] of next) this.items.set(k, v);
    this.transactions++;
  }

  async resync(desired: Item[]): Promise<void> {
    this.check();
    this.items.clear();
    for (const item of desired) this.items.set(itemKey(item), item);
  }

  async dump(): Promise<Item[]> {
    this.check();
    return [...this.items.values()];
  }

  async close(): Promise<void> {}

  private check(): void {
    if (this.unavailable) throw new DataplaneUnavailableError("memory data plane is unavailable");
  }
}
