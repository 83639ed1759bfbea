// Who owned the connections that ended lately. A connection id stays its owner's for its lifetime
// after it closed or expired: an NSC that heals re-requests by that id, and nobody else may take it
// over in between. Nothing is forgotten before its time: the bound is kept by refusing new ids when
// full (`admits`), never by dropping a live entry, so churn cannot flush an owner out. Time is a parameter.
import type { Owner } from "../chain/owner.js";

export interface RecentOwnersOptions {
  /** How long an ended connection's id stays its owner's (the longest a connection lives unrefreshed). */
  ttlMs: number;
  /** Ids kept at most, with the running connections counted (each may end and must find room). */
  max?: number;
  now?: () => number;
}

export const DEFAULT_MAX_ENDED = 100_000;

export class RecentOwners {
  /** In insertion order, which is also the order of `until` (one TTL for all): the first ends first. */
  private readonly byId = new Map<string, { owner: Owner; until: number }>();
  readonly max: number;
  private readonly now: () => number;

  constructor(private readonly o: RecentOwnersOptions) {
    this.max = o.max ?? DEFAULT_MAX_ENDED;
    this.now = o.now ?? Date.now;
  }

  /** Always kept (never refused, nothing live dropped): `admits` left room for it when it started. */
  remember(id: string, owner: Owner): void {
    this.sweep();
    this.byId.delete(id);
    this.byId.set(id, { owner, until: this.now() + this.o.ttlMs });
  }

  /** The owner of an id that ended lately, if its time is not up. */
  ownerOf(id: string): Owner | undefined {
    const entry = this.byId.get(id);
    if (!entry) return undefined;
    if (entry.until > this.now()) return entry.owner;
    this.byId.delete(id);
    return undefined;
  }

  /**
   * Whether a connection id new to the endpoint may start, with `running` connections held: only if
   * every one of them, and it, can end and be remembered within `max`.
   */
  admits(running: number): boolean {
    this.sweep();
    return running + this.byId.size < this.max;
  }

  forget(id: string): void {
    this.byId.delete(id);
  }

  get size(): number {
    return this.byId.size;
  }

  /** Drops the entries whose time is up, oldest first. */
  private sweep(): void {
    const now = this.now();
    for (const [id, entry] of this.byId) {
      if (entry.until > now) return;
      this.byId.delete(id);
    }
  }
}
