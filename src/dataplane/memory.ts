// The in-memory data plane: the default for the demo and tests. It keeps items by key, checks that
// addresses and routes name an interface that exists, and lets tests make it fail or go away.
import { type Dataplane, DataplaneUnavailableError, type Item, itemKey, type Transaction } from "./types.js";

export class MemoryDataplane implements Dataplane {
  readonly name = "memory";
  private readonly items = new Map<string, Item>();
  /** Keys of the addresses and routes on each interface, by interface name. */
  private readonly named = new Map<string, Set<string>>();
  /** While true, every call throws DataplaneUnavailableError (a back end that went away). */
  unavailable = false;
  /** A predicate that makes a transaction fail (as a back end rejecting an item would). */
  failWhen?: (txn: Transaction) => boolean;
  transactions = 0;

  async apply(txn: Transaction): Promise<void> {
    this.check();
    if (this.failWhen?.(txn)) throw new Error("memory data plane: injected failure");
    // Checks only what the transaction touches, so its cost grows with the transaction and not with
    // everything programmed: each item put names an interface that will exist, and each interface
    // removed is named by no item that stays. All or nothing: a refused one leaves no trace.
    const put = new Map<string, Item>();
    for (const item of txn.put) put.set(itemKey(item), item);
    const deleted = new Set<string>();
    for (const item of txn.del) {
      const key = itemKey(item);
      if (!put.has(key)) deleted.add(key);
    }
    const exists = (key: string) => put.has(key) || (this.items.has(key) && !deleted.has(key));
    for (const [key, item] of put) {
      if (item.type !== "interface" && !exists(`interface/${item.ifName}`)) this.refuse(key, item.ifName);
    }
    for (const item of txn.del) {
      if (item.type !== "interface" || exists(itemKey(item))) continue;
      for (const key of this.named.get(item.name) ?? []) if (!deleted.has(key)) this.refuse(key, item.name);
    }
    for (const key of deleted) this.drop(key);
    for (const [key, item] of put) this.keep(key, item);
    this.transactions++;
  }

  async resync(desired: Item[]): Promise<void> {
    this.check();
    this.items.clear();
    this.named.clear();
    for (const item of desired) this.keep(itemKey(item), item);
  }

  private keep(key: string, item: Item): void {
    this.drop(key);
    this.items.set(key, item);
    if (item.type === "interface") return;
    const keys = this.named.get(item.ifName) ?? new Set<string>();
    this.named.set(item.ifName, keys.add(key));
  }

  private drop(key: string): void {
    const item = this.items.get(key);
    if (!item) return;
    this.items.delete(key);
    if (item.type === "interface") return;
    const keys = this.named.get(item.ifName);
    keys?.delete(key);
    if (keys?.size === 0) this.named.delete(item.ifName);
  }

  private refuse(key: string, ifName: string): never {
    throw new Error(`memory data plane: ${key} names a missing interface ${ifName}`);
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
