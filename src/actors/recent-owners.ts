// Who owned the connections that ended lately. A connection id stays its owner's for its lifetime
// after it closed or expired: an NSC that heals re-requests by that id, and nobody else may take it
// over in between. Churn cannot flush an owner out: when full (`admits`), room is made only from the
// proven identity (SPIFFE ID) holding the most ended ids, its own oldest first, so one client churning
// ids costs itself, not the others. Names alone prove nothing (plain text): their ids are never given
// up early, and with no identity's ids to give, a new id is refused. Time is a parameter.
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
  /** Each proven identity's ended ids, oldest first: where room is made when full. */
  private readonly byClient = new Map<string, Set<string>>();
  readonly max: number;
  private readonly now: () => number;

  constructor(private readonly o: RecentOwnersOptions) {
    this.max = o.max ?? DEFAULT_MAX_ENDED;
    this.now = o.now ?? Date.now;
  }

  /** Always kept (never refused, nothing live dropped): `admits` left room for it when it started. */
  remember(id: string, owner: Owner): void {
    this.sweep();
    this.forget(id);
    this.byId.set(id, { owner, until: this.now() + this.o.ttlMs });
    if (owner.identity === undefined) return;
    const ids = this.byClient.get(owner.identity) ?? new Set<string>();
    this.byClient.set(owner.identity, ids.add(id));
  }

  /** The owner of an id that ended lately, if its time is not up. */
  ownerOf(id: string): Owner | undefined {
    const entry = this.byId.get(id);
    if (!entry) return undefined;
    if (entry.until > this.now()) return entry.owner;
    this.forget(id);
    return undefined;
  }

  /**
   * Whether a connection id new to the endpoint may start, with `running` connections held: only if
   * every one of them, and it, can end and be remembered within `max`. When full, the identity holding
   * the most ended ids gives up its oldest one to make that room; with none to give, it is refused.
   */
  admits(running: number): boolean {
    this.sweep();
    // Running connections cannot give up their room: refuse before forgetting anyone for nothing.
    if (running >= this.max) return false;
    // Normally one pass: only ids it admitted are remembered, so at most `max` are held.
    while (running + this.byId.size >= this.max) {
      const hog = this.largestClient();
      if (!hog) return false;
      this.forget(hog.values().next().value as string);
    }
    return true;
  }

  forget(id: string): void {
    const entry = this.byId.get(id);
    if (!entry) return;
    this.byId.delete(id);
    const client = entry.owner.identity;
    if (client === undefined) return;
    const ids = this.byClient.get(client);
    ids?.delete(id);
    if (ids?.size === 0) this.byClient.delete(client);
  }

  get size(): number {
    return this.byId.size;
  }

  /** Drops the entries whose time is up, oldest first. */
  private sweep(): void {
    const now = this.now();
    for (const [id, entry] of this.byId) {
      if (entry.until > now) return;
      this.forget(id);
    }
  }

  /** Only when full: one pass over the clients, not over the ids. */
  private largestClient(): Set<string> | undefined {
    let largest: Set<string> | undefined;
    for (const ids of this.byClient.values()) if (!largest || ids.size > largest.size) largest = ids;
    return largest;
  }
}
