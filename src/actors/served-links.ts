// The links that peers dialled to this NSE (served peer connections), found by the peer's mark. By
// the peer rule a peer has one link to us: another one from the same peer is a leftover of an
// earlier incarnation of it.
import type { ActorRefFrom } from "xstate";
import type { connectionMachine } from "../machines/connection.machine.js";
import { PEER_REQUEST_LABEL } from "../registry/labels.js";

type Connections = Record<string, ActorRefFrom<typeof connectionMachine>>;

/** Ids of `peer`'s links to us; `established` keeps only those that were answered and are not closing. */
export function servedLinks(
  connections: Connections,
  peer: string,
  o: { established?: boolean } = {},
): string[] {
  return Object.entries(connections)
    .filter(([, ref]) => {
      const s = ref.getSnapshot();
      if (s.status !== "active" || s.context.kind !== "peer") return false;
      if (s.context.request.labels[PEER_REQUEST_LABEL] !== peer) return false;
      return !o.established || (s.context.committed !== undefined && !s.matches("closing"));
    })
    .map(([id]) => id);
}
