// The prefix server's bookkeeping: who holds which prefix, by endpoint identity or, for an
// anonymous stream, by the stream; identities' allocations are kept in the state file.
import { parseAddress, parseCidr } from "../ipam/cidr.js";
import { PrefixAllocator } from "../ipam/prefix-allocator.js";
import { loadState, type PrefixState, StateWriter } from "./state-file.js";

/** An endpoint that named itself (PREFIX_IDENTITY_METADATA), or an anonymous stream. */
export type PrefixOwner = { identity: string } | { stream: number };

export interface PrefixAllocation {
  /** Undefined for an anonymous stream's prefix. */
  identity?: string;
  prefix: string;
}

const ID = "id/";
const key = (owner: PrefixOwner) =>
  "identity" in owner ? `${ID}${owner.identity}` : `stream/${owner.stream}`;

export class PrefixBook {
  private readonly allocator: PrefixAllocator;
  private readonly writer?: StateWriter;
  /** The write that carries the latest change (resolved when there is nothing to write). */
  private saving: Promise<void> = Promise.resolve();
  /** The latest write failed: the file is behind the book until a write succeeds. */
  private unsaved = false;

  constructor(
    private readonly pool: string,
    private readonly prefixLen: number,
    private readonly exclude: readonly string[] = [],
    stateFile?: string,
  ) {
    this.allocator = new PrefixAllocator(pool, prefixLen, exclude);
    if (stateFile) this.writer = new StateWriter(stateFile, () => this.state());
    const state = stateFile ? loadState(stateFile) : undefined;
    if (state) {
      try {
        this.allocator.restore(
          state.allocations.map((a) => ({ owner: `${ID}${a.identity}`, prefix: a.prefix })),
        );
      } catch (err) {
        throw new Error(
          `prefix state ${stateFile} (pool ${state.pool}, /${state.prefixLen}) does not fit pool ${pool}, /${prefixLen}: ${(err as Error).message}`,
        );
      }
    }
  }

  /**
   * The requested prefix if it is free (or already the owner's), else the owner's previous one,
   * else the next free. Throws PoolExhaustedError, or CidrError naming a malformed field. The change
   * is on disk once `persisted()` resolves: answer the claim only then.
   */
  allocate(owner: PrefixOwner, requested: string, exclude: readonly string[]): string {
    const k = key(owner);
    const held = this.allocator.prefixOf(k);
    if (requested !== "" && held !== undefined && !this.sameCidr(requested, held)) {
      // Moving to another free prefix: give the old one up only once the new one is certain.
      if (this.usable(requested, exclude)) this.allocator.release(k);
    }
    const prefix = this.allocator.allocate(k, { requested: requested || undefined, exclude });
    // After a failed write every claim writes again: else it would be answered with that old failure.
    if ((prefix !== held && "identity" in owner) || this.unsaved) this.save();
    return prefix;
  }

  /** Frees `prefix` if `owner` holds it; false otherwise (nobody frees another's prefix). */
  release(owner: PrefixOwner, prefix: string): boolean {
    const k = key(owner);
    const held = this.allocator.prefixOf(k);
    if (held === undefined || !this.sameCidr(prefix, held)) return false;
    this.allocator.release(k);
    if ("identity" in owner) this.save();
    return true;
  }

  /** Frees whatever `owner` holds (an anonymous stream that ended). */
  releaseAll(owner: PrefixOwner): void {
    if (this.allocator.release(key(owner)) && "identity" in owner) this.save();
  }

  /** Resolves once every change made so far is in the state file; rejects if that write failed. */
  persisted(): Promise<void> {
    return this.saving;
  }

  /** Resolves once no write is under way (before the file is read again: a restart). */
  async flushed(): Promise<void> {
    await this.writer?.idle();
  }

  list(): PrefixAllocation[] {
    return this.allocator
      .entries()
      .map(({ owner, prefix }) =>
        owner.startsWith(ID) ? { identity: owner.slice(ID.length), prefix } : { prefix },
      );
  }

  /** A free, aligned prefix of the pool's length inside the pool, clear of every exclusion. */
  private usable(requested: string, exclude: readonly string[]): boolean {
    try {
      const c = parseCidr(requested, "prefix");
      const pool = this.allocator.pool;
      if (c.bits !== this.prefixLen || !pool.containsCidr(c)) return false;
      if (parseAddress(requested.split("/")[0]!.trim(), "prefix").value !== c.network) return false;
      if ([...this.exclude, ...exclude].some((e) => parseCidr(e, "exclude_prefixes").overlaps(c)))
        return false;
      return this.allocator.ownerOf(requested) === undefined;
    } catch {
      return false;
    }
  }

  /** Whether `a` names exactly the canonical prefix `b` (an address inside it does not). */
  private sameCidr(a: string, b: string): boolean {
    try {
      const c = parseCidr(a, "prefix");
      return c.toString() === b && parseAddress(a.split("/")[0]!.trim(), "prefix").value === c.network;
    } catch {
      return false;
    }
  }

  private save(): void {
    if (!this.writer) return;
    const saving = this.writer.save();
    this.saving = saving;
    this.unsaved = false;
    // A failed write is the waiting claim's error (persisted()); a release has nobody to tell. The
    // next claim writes again.
    saving.catch(() => {
      if (this.saving === saving) this.unsaved = true;
    });
  }

  private state(): PrefixState {
    const allocations = this.list().flatMap((a) =>
      a.identity === undefined ? [] : [{ identity: a.identity, prefix: a.prefix }],
    );
    return { version: 1, pool: this.pool, prefixLen: this.prefixLen, allocations };
  }
}
