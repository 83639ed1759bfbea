// Carves fixed-length prefixes (one per endpoint) out of a pool: the prefix server's and the
// Kubernetes lease source's bookkeeping. Prefix i of the pool is slot i of a SlotSpace.

import {
  bigIntToAddress,
  type Cidr,
  CidrError,
  inRanges,
  mergeRanges,
  parseAddressWithLength,
  parseCidr,
  type Range,
} from "./cidr.js";
import { AllocationConflictError, PoolExhaustedError } from "./errors.js";
import { SlotSpace } from "./slot-space.js";

export interface PrefixEntry {
  owner: string;
  prefix: string;
}

export class PrefixAllocator {
  readonly pool: Cidr;
  readonly prefixLen: number;
  /** How many prefixes the pool holds. */
  readonly count: bigint;
  private readonly blockBits: bigint;
  private readonly space: SlotSpace;
  /** Excluded for good (constructor), as prefix indexes; each call may exclude more. */
  private readonly excluded: readonly Range[];

  constructor(pool: string, prefixLen: number, exclude: readonly string[] = []) {
    this.pool = parseCidr(pool, "pool");
    if (!Number.isInteger(prefixLen) || prefixLen < this.pool.bits || prefixLen > this.pool.maxBits) {
      throw new RangeError(
        `prefix length ${prefixLen} does not fit pool ${this.pool} (${this.pool.bits}..${this.pool.maxBits})`,
      );
    }
    this.prefixLen = prefixLen;
    this.blockBits = BigInt(this.pool.maxBits - prefixLen);
    this.excluded = this.excludedRanges(exclude);
    this.count = this.pool.size >> this.blockBits;
    this.space = new SlotSpace(0n, this.count - 1n);
  }

  /** The owner's prefix if still allowed, else `requested` if it is a free prefix of the pool, else the next free. */
  allocate(owner: string, opts: { requested?: string; exclude?: readonly string[] } = {}): string {
    const excluded = opts.exclude?.length
      ? mergeRanges([...this.excluded, ...this.excludedRanges(opts.exclude)])
      : this.excluded;
    const held = this.space.slotOf(owner);
    if (held !== undefined && !inRanges(held, excluded)) return this.prefixAt(held);
    const wanted = opts.requested
      ? this.slotOfPrefix(parseCidr(opts.requested, "prefix"), opts.requested)
      : undefined;
    if (wanted !== undefined && !inRanges(wanted, excluded)) {
      const holder = this.space.holderOf(wanted);
      if (holder === undefined || holder === owner) {
        this.space.assign(owner, wanted);
        return this.prefixAt(wanted);
      }
    }
    const slot = this.space.take(owner, excluded);
    if (slot === undefined) {
      throw new PoolExhaustedError(
        this.pool.toString(),
        `no free /${this.prefixLen} (${this.space.used} of ${this.count} in use${excluded.length ? ", the rest excluded" : ""})`,
      );
    }
    return this.prefixAt(slot);
  }

  release(owner: string): boolean {
    return this.space.release(owner) !== undefined;
  }

  /** Frees a prefix whoever holds it (an operator or an expired lease); false if nobody does. */
  releasePrefix(prefix: string): boolean {
    const owner = this.ownerOf(prefix);
    return owner !== undefined && this.release(owner);
  }

  prefixOf(owner: string): string | undefined {
    const slot = this.space.slotOf(owner);
    return slot === undefined ? undefined : this.prefixAt(slot);
  }

  /** Who holds exactly this prefix; undefined if nobody, or if it is malformed or not one of the pool's. */
  ownerOf(prefix: string): string | undefined {
    let slot: bigint | undefined;
    try {
      slot = this.slotOfPrefix(parseCidr(prefix, "prefix"), prefix);
    } catch {
      return undefined;
    }
    return slot === undefined ? undefined : this.space.holderOf(slot);
  }

  entries(): PrefixEntry[] {
    return Array.from(this.space.entries(), ([owner, slot]) => ({ owner, prefix: this.prefixAt(slot) }));
  }

  /**
   * Takes back allocations saved earlier (a state file). All or nothing: a malformed prefix or one
   * outside the pool (CidrError), or an owner or prefix that appears twice or is held otherwise
   * (AllocationConflictError), rejects the whole list. Excluded prefixes are kept: they are in use.
   */
  restore(entries: readonly PrefixEntry[]): void {
    const owners = new Map<string, bigint>();
    const holders = new Map<bigint, string>();
    for (const { owner, prefix } of entries) {
      const slot = this.slotOfPrefix(parseCidr(prefix, "prefix"), prefix);
      if (slot === undefined)
        throw new CidrError("prefix", prefix, `is not a /${this.prefixLen} of ${this.pool}`);
      const conflict = this.restoreConflict(owner, slot, prefix, owners, holders);
      if (conflict) throw new AllocationConflictError(`restore: ${conflict}`);
      owners.set(owner, slot);
      holders.set(slot, owner);
    }
    for (const [owner, slot] of owners) this.space.assign(owner, slot);
  }

  private restoreConflict(
    owner: string,
    slot: bigint,
    prefix: string,
    owners: Map<string, bigint>,
    holders: Map<bigint, string>,
  ): string | undefined {
    if (owners.has(owner)) return `owner ${owner} appears twice`;
    if (holders.has(slot)) return `${prefix} appears twice`;
    const holder = this.space.holderOf(slot);
    if (holder !== undefined && holder !== owner) return `${prefix} is held by ${holder}`;
    const held = this.space.slotOf(owner);
    if (held !== undefined && held !== slot) return `${owner} already holds ${this.prefixAt(held)}`;
    return undefined;
  }

  private prefixAt(slot: bigint): string {
    return `${bigIntToAddress(this.pool.network + (slot << this.blockBits), this.pool.family)}/${this.prefixLen}`;
  }

  /** The slot of a prefix of exactly this pool's length and alignment, else undefined. */
  private slotOfPrefix(cidr: Cidr, raw: string): bigint | undefined {
    if (cidr.bits !== this.prefixLen || !this.pool.containsCidr(cidr)) return undefined;
    // "172.16.1.5/24" names an address, not a prefix: only the network address itself is aligned.
    if (parseAddressWithLength(raw, "prefix").value !== cidr.network) return undefined;
    return (cidr.network - this.pool.network) >> this.blockBits;
  }

  /** Prefix indexes touched by any of `exclude` (a prefix overlapping an exclusion is never handed out). */
  private excludedRanges(exclude: readonly string[]): Range[] {
    const ranges: Range[] = [];
    for (const value of exclude) {
      const cidr = parseCidr(value, "exclude_prefixes");
      if (!cidr.overlaps(this.pool)) continue;
      // Indexes past either end of the pool are harmless: nothing is looked up there.
      ranges.push({
        start: (cidr.network - this.pool.network) >> this.blockBits,
        end: (cidr.last - this.pool.network) >> this.blockBits,
      });
    }
    return mergeRanges(ranges);
  }
}
