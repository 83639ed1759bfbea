// The links that peers dialled to this NSE (served peer connections), indexed by the peer's mark as
// their connection actors start and end, so that finding a peer or a link going up or down looks only
// at that peer's links, not at every connection held. By the peer rule a peer has one link to us:
// another one from the same peer is a leftover of an earlier incarnation of it.
import type { ConnectionContext } from "../machines/connection.machine.js";
import { PEER_REQUEST_LABEL } from "../registry/labels.js";
import type { ConnectionRef } from "./connection-actors.js";

export class ServedLinks {
  /** Peer mark -> its links' connection actors. */
  private readonly byPeer = new Map<string, Set<ConnectionRef>>();
  private readonly markOf = new Map<ConnectionRef, string>();

  /** A connection actor starts: if it is a link a peer dialled to us, it is indexed under its mark. */
  started(ref: ConnectionRef): void {
    // No context at all if the machine could not even be created (it is reported broken then).
    const c = ref.getSnapshot().context as ConnectionContext | undefined;
    const mark = c?.kind === "peer" ? c.request.labels[PEER_REQUEST_LABEL] : undefined;
    if (mark) this.add(ref, mark);
  }

  /** Every snapshot of a connection actor: a refresh that changed its link's mark moves it under the new one. */
  observe(ref: ConnectionRef, snapshot: ReturnType<ConnectionRef["getSnapshot"]>): void {
    const mark = this.markOf.get(ref);
    if (mark === undefined) return;
    const now = snapshot.context?.request.labels[PEER_REQUEST_LABEL];
    if (now === mark) return;
    this.gone(ref);
    if (now) this.add(ref, now);
  }

  /** A connection actor ended, broke or was stopped. */
  gone(ref: ConnectionRef): void {
    const mark = this.markOf.get(ref);
    if (mark === undefined) return;
    this.markOf.delete(ref);
    const links = this.byPeer.get(mark);
    links?.delete(ref);
    if (links?.size === 0) this.byPeer.delete(mark);
  }

  private add(ref: ConnectionRef, mark: string): void {
    this.markOf.set(ref, mark);
    const links = this.byPeer.get(mark);
    if (links) links.add(ref);
    else this.byPeer.set(mark, new Set([ref]));
  }

  /** Ids of `peer`'s links to us; `established` keeps only those that were answered and are not closing. */
  of(peer: string, o: { established?: boolean } = {}): string[] {
    const links = this.byPeer.get(peer);
    if (!links) return [];
    const ids: string[] = [];
    for (const ref of links) {
      const s = ref.getSnapshot();
      if (s.status !== "active" || s.context.request.labels[PEER_REQUEST_LABEL] !== peer) continue;
      if (!o.established || (s.context.committed !== undefined && !s.matches("closing")))
        ids.push(s.context.id);
    }
    return ids;
  }
}
