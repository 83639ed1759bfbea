// The links that peers dialled to this NSE (served peer connections), found by the peer's mark. By
// the peer rule a peer has one link to us: another one from the same peer is a leftover of an
// earlier incarnation of it.
import { PEER_REQUEST_LABEL } from "../registry/labels.js";
import type { ConnectionRef } from "./connection-actors.js";

/** Ids of `peer`'s links to us; `established` keeps only those that were answered and are not closing. */
export function servedLinks(
  connections: Iterable<ConnectionRef>,
  peer: string,
  o: { established?: boolean } = {},
): string[] {
  const ids: string[] = [];
  for (const ref of connections) {
    const s = ref.getSnapshot();
    if (s.status !== "active" || s.context.kind !== "peer") continue;
    if (s.context.request.labels[PEER_REQUEST_LABEL] !== peer) continue;
    if (!o.established || (s.context.committed !== undefined && !s.matches("closing")))
      ids.push(s.context.id);
  }
  return ids;
}
