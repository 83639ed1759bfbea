// What this NSE has applied to the agent, as our items. Needed because an address is part of its
// interface's value in vpp-agent: changing one address re-sends the whole interface.
import {
  type AddressItem,
  type InterfaceItem,
  type Item,
  itemKey,
  type Transaction,
} from "../dataplane/types.js";

export class Mirror {
  private readonly items = new Map<string, Item>();
  /** ifName → (cidr → address), so an interface's addresses are found without a scan. */
  private readonly addresses = new Map<string, Map<string, AddressItem>>();

  get size(): number {
    return this.items.size;
  }

  has(item: Item): boolean {
    return this.items.has(itemKey(item));
  }

  interface(name: string): InterfaceItem | undefined {
    const item = this.items.get(`interface/${name}`);
    return item?.type === "interface" ? item : undefined;
  }

  /** Addresses on `name`, in the order they were put. */
  addressesOf(name: string): string[] {
    return [...(this.addresses.get(name)?.keys() ?? [])];
  }

  all(): Item[] {
    return [...this.items.values()];
  }

  /** Applies `txn` (removals first, then puts) and returns what undoes it. */
  apply(txn: Transaction): () => void {
    const before = new Map<string, Item | undefined>();
    const remember = (key: string) => {
      if (!before.has(key)) before.set(key, this.items.get(key));
    };
    for (const item of txn.del) {
      remember(itemKey(item));
      this.remove(item);
    }
    for (const item of txn.put) {
      remember(itemKey(item));
      this.set(item);
    }
    return () => {
      for (const [key, item] of before) {
        const now = this.items.get(key);
        if (now) this.remove(now);
        if (item) this.set(item);
      }
    };
  }

  /** Replaces everything (resync). */
  reset(items: Item[]): void {
    this.items.clear();
    this.addresses.clear();
    for (const item of items) this.set(item);
  }

  private set(item: Item): void {
    this.items.set(itemKey(item), item);
    if (item.type !== "address") return;
    let byCidr = this.addresses.get(item.ifName);
    if (!byCidr) {
      byCidr = new Map();
      this.addresses.set(item.ifName, byCidr);
    }
    byCidr.set(item.cidr, item);
  }

  private remove(item: Item): void {
    this.items.delete(itemKey(item));
    if (item.type !== "address") return;
    const byCidr = this.addresses.get(item.ifName);
    byCidr?.delete(item.cidr);
    if (byCidr?.size === 0) this.addresses.delete(item.ifName);
  }
}
