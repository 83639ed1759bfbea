// Who owned the connections that ended lately. A connection id stays its owner's for a while after it
// closed or expired: an NSC that heals re-requests by that id, and nobody else may take it over in
// between. Bounded (the oldest are forgotten first) so that churn cannot grow it; time is a parameter.
import type { Owner } from "../chain/owner.js";

export interface RecentOwnersOptions {
  /** How long an ended connection's id stays its owner's (the longest a connection lives unrefreshed). */
  ttlMs: number;
  /** Ids remembered at most. */
  max?: number;
  now?: () => number;
}

export class RecentOwners {
  private readonly byId = new Map<string, { owner: Owner; until: number }>();
  private readonly max: number;
  private readonly now: () => number;

  constructor(private readonly o: RecentOwnersOptions) {
    this.max = o.max ?? 10_000;
    this.now = o.now ?? Date.now;
  }

  remember(id: string, owner: Owner): void {
    this.byId.delete(id);
    this.byId.set(id, { owner, until: this.now() + this.o.ttlMs });
    // A Map iterates in insertion order: the first key is the oldest.
    if (this.byId.size > this.max) this.byId.delete(this.byId.keys().next().value!);
  }

  /** The owner of an id that ended lately, if its time is not up. */
  ownerOf(id: string): Owner | undefined {
    const entry = this.byId.get(id);
    if (!entry) return undefined;
    if (entry.until > this.now()) return entry.owner;
    this.byId.delete(id);
    return undefined;
  }

  forget(id: string): void {
    this.byId.delete(id);
  }

  get size(): number {
    return this.byId.size;
  }
}
