// The addresses of one endpoint prefix: one host address per connection, the NSE's own address set apart.
import {
  type Cidr,
  CidrError,
  inRanges,
  mergeRanges,
  parseAddressWithLength,
  parseCidr,
  type Range,
} from "./cidr.js";
import { PoolExhaustedError } from "./errors.js";
import { SlotSpace } from "./slot-space.js";

export { PoolExhaustedError } from "./errors.js";

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
  /** The prefix source's exclude_prefixes: never handed out, whatever a request says. */
  private excluded: Range[] = [];

  constructor(prefix: string, excluded: readonly string[] = []) {
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
    this.setExcluded(excluded);
  }

  /**
   * Replaces the prefixes never handed out (the prefix server's exclude_prefixes). Returns the owners
   * whose address now lies in one: they must be given another.
   */
  setExcluded(excluded: readonly string[]): string[] {
    this.excluded = this.excludedRanges(excluded);
    return [...this.space.entries()]
      .filter(([, slot]) => inRanges(slot, this.excluded))
      .map(([owner]) => owner);
  }

  /** A host CIDR for `owner` (a connection id): its current one if still allowed, else a requested one, else the next free. */
  allocate(owner: string, opts: AllocateOptions = {}): string {
    const excluded = mergeRanges([...this.excluded, ...this.excludedRanges(opts.excluded ?? [])]);
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
