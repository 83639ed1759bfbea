// Owners of integer slots: the engine under both the address pool and the prefix allocator.
import { firstOutside, inRanges, type Range } from "./cidr.js";

/**
 * Owners of slots (integers in [first, last]). Fresh slots go out lowest first; once none is left,
 * released ones are reused, longest-released first, so an address that just went away is not handed
 * to someone else at once. Work per call does not grow with the size of the range.
 */
export class SlotSpace {
  /** Never handed out from here. May still hold slots given directly (assign); they are dropped when met. */
  private readonly fresh: Range[];
  /** Free slots that were held before, in release order. */
  private readonly released = new Set<bigint>();
  private readonly holders = new Map<bigint, string>();
  private readonly slots = new Map<string, bigint>();

  constructor(first: bigint, last: bigint) {
    this.fresh = first <= last ? [{ start: first, end: last }] : [];
  }

  get used(): number {
    return this.slots.size;
  }

  slotOf(owner: string): bigint | undefined {
    return this.slots.get(owner);
  }

  holderOf(slot: bigint): string | undefined {
    return this.holders.get(slot);
  }

  entries(): IterableIterator<[string, bigint]> {
    return this.slots.entries();
  }

  /** Gives `slot` (free or already the owner's) to `owner`; the owner's previous slot is released. */
  assign(owner: string, slot: bigint): void {
    const holder = this.holders.get(slot);
    if (holder !== undefined && holder !== owner) throw new Error(`slot ${slot} is held by ${holder}`);
    const old = this.slots.get(owner);
    if (old === slot) return;
    if (old !== undefined) this.free(old);
    this.holders.set(slot, owner);
    this.slots.set(owner, slot);
    this.released.delete(slot);
  }

  /** Gives `owner` a free slot outside `excluded` (sorted and merged); undefined when there is none. */
  take(owner: string, excluded: readonly Range[]): bigint | undefined {
    const slot = this.nextFresh(excluded) ?? this.nextReleased(excluded);
    if (slot !== undefined) this.assign(owner, slot);
    return slot;
  }

  release(owner: string): bigint | undefined {
    const slot = this.slots.get(owner);
    if (slot === undefined) return undefined;
    this.slots.delete(owner);
    this.free(slot);
    return slot;
  }

  private free(slot: bigint): void {
    this.holders.delete(slot);
    this.released.add(slot);
  }

  private nextFresh(excluded: readonly Range[]): bigint | undefined {
    let i = 0;
    while (i < this.fresh.length) {
      const range = this.fresh[i]!;
      const n = firstOutside(range.start, excluded);
      if (n > range.end) {
        i++; // all of it excluded for this call; it stays fresh for others
        continue;
      }
      this.cut(i, n);
      if (!this.holders.has(n)) return n;
      // n was given directly (a requested address, a restore): it leaves the fresh list for good.
    }
    return undefined;
  }

  private nextReleased(excluded: readonly Range[]): bigint | undefined {
    for (const slot of this.released) if (!inRanges(slot, excluded)) return slot;
    return undefined;
  }

  /** Removes n from fresh range i, splitting it when n is inside. */
  private cut(i: number, n: bigint): void {
    const range = this.fresh[i]!;
    if (range.start === range.end) this.fresh.splice(i, 1);
    else if (n === range.start) range.start = n + 1n;
    else if (n === range.end) range.end = n - 1n;
    else {
      this.fresh.splice(i + 1, 0, { start: n + 1n, end: range.end });
      range.end = n - 1n;
    }
  }
}
