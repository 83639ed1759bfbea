// The addresses of one endpoint prefix: one host address per connection, the NSE's own address set apart.
import {
  type Cidr,
  CidrError,
  firstOutside,
  inRanges,
  mergeRanges,
  parseAddressWithLength,
  parseCidr,
  type Range,
} from "./cidr.js";
import { PoolExhaustedError } from "./errors.js";

export { PoolExhaustedError } from "./errors.js";

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

export interface AllocateOptions {
  /** The NSC's src_ip_addrs: it keeps one of them if it can (a healing client keeps its IP). */
  requested?: readonly string[];
  /** The request's excluded_prefixes: nothing inside them is handed out. */
  excluded?: readonly string[];
}

export class AddressPool {
  readonly prefix: Cidr;
  /** The NSE's own address: the first host of the prefix. */
  readonly selfAddress: string;
  private readonly first: bigint;
  private readonly last: bigint;
  private readonly space: SlotSpace;

  constructor(prefix: string) {
    this.prefix = parseCidr(prefix, "prefix");
    const p = this.prefix;
    this.selfAddress = p.hostCidr(p.network + 1n);
    // Clients start after the NSE address; IPv4 keeps the broadcast address out.
    this.first = p.network + 2n;
    this.last = p.family === 4 ? p.last - 1n : p.last;
    if (this.last - this.first + 1n < 2n) {
      throw new CidrError("prefix", prefix, "is too small: it needs room for the NSE and two clients");
    }
    this.space = new SlotSpace(this.first, this.last);
  }

  /** A host CIDR for `owner` (a connection id): its current one if still allowed, else a requested one, else the next free. */
  allocate(owner: string, opts: AllocateOptions = {}): string {
    const excluded = this.excludedRanges(opts.excluded ?? []);
    const requested = (opts.requested ?? []).map((value) => parseAddressWithLength(value, "src_ip_addrs"));
    const held = this.space.slotOf(owner);
    if (held !== undefined && !inRanges(held, excluded)) return this.prefix.hostCidr(held);
    for (const r of requested) {
      if (r.family !== this.prefix.family || r.value < this.first || r.value > this.last) continue;
      if (inRanges(r.value, excluded)) continue;
      const holder = this.space.holderOf(r.value);
      if (holder !== undefined && holder !== owner) continue;
      this.space.assign(owner, r.value);
      return this.prefix.hostCidr(r.value);
    }
    const slot = this.space.take(owner, excluded);
    if (slot === undefined) {
      throw new PoolExhaustedError(
        this.prefix.toString(),
        `no free address (${this.space.used} of ${this.capacity} in use${excluded.length ? ", the rest excluded" : ""})`,
      );
    }
    return this.prefix.hostCidr(slot);
  }

  /** True if the owner held an address, now free for reuse. */
  release(owner: string): boolean {
    return this.space.release(owner) !== undefined;
  }

  addressOf(owner: string): string | undefined {
    const slot = this.space.slotOf(owner);
    return slot === undefined ? undefined : this.prefix.hostCidr(slot);
  }

  /** Who holds "a.b.c.d" or "a.b.c.d/32" (any length: the address part counts); undefined if nobody or malformed. */
  ownerOf(address: string): string | undefined {
    let parsed: { family: number; value: bigint };
    try {
      parsed = parseAddressWithLength(address);
    } catch {
      return undefined;
    }
    return parsed.family === this.prefix.family ? this.space.holderOf(parsed.value) : undefined;
  }

  get used(): number {
    return this.space.used;
  }

  /** Client addresses the prefix holds (the network, NSE and IPv4 broadcast addresses are not). */
  get capacity(): bigint {
    return this.last - this.first + 1n;
  }

  entries(): Array<[owner: string, address: string]> {
    return Array.from(this.space.entries(), ([owner, slot]) => [owner, this.prefix.hostCidr(slot)]);
  }

  private excludedRanges(excluded: readonly string[]): Range[] {
    const ranges: Range[] = [];
    for (const value of excluded) {
      const cidr = parseCidr(value, "excluded_prefixes");
      if (cidr.overlaps(this.prefix)) ranges.push({ start: cidr.network, end: cidr.last });
    }
    return mergeRanges(ranges);
  }
}
