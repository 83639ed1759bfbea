// Tells a peer NSE's request from an NSC's by its explicit mark (PEER_REQUEST_LABEL), checked
// against the registry: the named NSE must be a registered vL3 peer of the service, and by the peer
// rule it must be the side that dials us. Never a heuristic.

import type { Connection } from "../grpc/gen/networkservice/connection.js";
import { PEER_REQUEST_LABEL } from "../registry/labels.js";
import { dialsPeer as dials } from "../registry/peer.js";
import { RequestError } from "./errors.js";
import type { Element } from "./types.js";

export interface PeerCheck {
  self: string;
  /** True if `name` is registered as a vL3 peer of `service`. */
  isPeer(name: string, service: string): boolean | Promise<boolean>;
}

async function checkPeer(check: PeerCheck, conn: Connection, peerOf: string): Promise<void> {
  const field = `connection.labels["${PEER_REQUEST_LABEL}"]`;
  if (!peerOf || peerOf === check.self)
    throw new RequestError("INVALID_ARGUMENT", `${field}: "${peerOf}" is not a peer name`);
  if (!(await check.isPeer(peerOf, conn.networkService))) {
    throw new RequestError(
      "PERMISSION_DENIED",
      `${field}: "${peerOf}" is not a registered vL3 peer of ${conn.networkService}`,
    );
  }
  if (!dials(peerOf, check.self)) {
    throw new RequestError(
      "FAILED_PRECONDITION",
      `${field}: by the peer rule ${check.self} dials ${peerOf}, not the other way`,
    );
  }
}

export function peerRequests(check: PeerCheck): Element {
  return (next) => ({
    request: (req, ctx) => {
      const peerOf = req.connection!.labels?.[PEER_REQUEST_LABEL];
      // An NSC's request (no mark) goes on at once: no promise of its own.
      if (peerOf === undefined) return next.request(req, ctx);
      return checkPeer(check, req.connection!, peerOf).then(() => {
        ctx.peerOf = peerOf;
        return next.request(req, ctx);
      });
    },
    close: (conn, ctx) => next.close(conn, ctx),
  });
}
