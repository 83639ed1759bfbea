// Tells a peer NSE's request from an NSC's by its explicit mark (PEER_REQUEST_LABEL), checked
// against the registry: the named NSE must be a registered vL3 peer of the service, and by the peer
// rule it must be the side that dials us. Never a heuristic. With path tokens on, the mark must also
// be the originating path segment's name, and that segment's PROVEN SPIFFE ID (CallContext.origin)
// must be one allowed to peer: a client cannot pose as a registered NSE by writing its name into a
// label, nor by signing a made-up segment 0 with its own key.

import type { Connection } from "../grpc/gen/networkservice/connection.js";
import { domain, qualify } from "../registry/interdomain.js";
import { PEER_REQUEST_LABEL } from "../registry/labels.js";
import { dialsPeer as dials } from "../registry/peer.js";
import { quote } from "../util/quote.js";
import { RequestError } from "./errors.js";
import type { CallContext, Element } from "./types.js";

export interface PeerCheck {
  self: string;
  /** True if `name` is registered as a vL3 peer of `service`. */
  isPeer(name: string, service: string): boolean | Promise<boolean>;
  /**
   * With path tokens on: whether this SPIFFE ID may peer with us (NSM_PEER_SPIFFE_IDS). The request's
   * proven originator (CallContext.origin, set by authorize) must pass it.
   */
  allowedPeer?: { test(spiffeId: string): boolean; describe: string };
  /**
   * With path tokens on: the SPIFFE ID that registered peer `name` (its registry entry's path_ids[0]),
   * when the registry recorded one. Only that identity may send that peer's requests: beyond NSM, so a
   * sibling allowed to peer cannot pose as another registered endpoint.
   */
  registrantOf?(name: string): string | undefined;
  /**
   * Mixed fleets (NSM_MIXED_FLEET): NSM's own vL3 endpoints carry no mark. `recognise` names the
   * dialler of a request shaped as theirs (nsm-peer.ts); `confirm` checks that name is a registered
   * NSM vL3 endpoint of the service. A request that passes is served as that peer's link.
   */
  nsmPeer?: {
    recognise(conn: Connection): string | undefined;
    confirm(name: string, service: string): boolean | Promise<boolean>;
  };
}

/**
 * An unmarked request: an NSC's, or (mixed fleets) an NSM vL3 endpoint's peer request. With path
 * tokens on, only a sender whose origin is proven and allowed to peer is taken for one; anyone else is
 * served as an NSC. Without tokens there is nothing to prove: `run` refuses NSM_MIXED_FLEET with
 * NSM_INSECURE, so only an embedder that turns tokens off (the sandbox's default) trusts the shape.
 */
async function unmarked(check: PeerCheck, conn: Connection, ctx: CallContext): Promise<string | undefined> {
  const name = check.nsmPeer?.recognise(conn);
  if (!name) return undefined;
  if (check.allowedPeer && !(ctx.origin && check.allowedPeer.test(ctx.origin))) return undefined;
  if (!(await check.nsmPeer!.confirm(name, conn.networkService))) return undefined;
  // Confirmed after the look-up, which records the registrant of an endpoint seen the first time.
  const registrant = check.allowedPeer && check.registrantOf?.(name);
  return registrant && registrant !== ctx.origin ? undefined : name;
}

/** Who sent the mark, from the path and its tokens alone: checked before the registry is asked. */
function checkIdentity(check: PeerCheck, conn: Connection, peerOf: string, ctx: CallContext): void {
  const allowed = check.allowedPeer;
  if (!allowed) return;
  const origin = conn.path?.pathSegments[0];
  // A peer of another domain names its segment as it registered (`nse`), its mark in full (`nse@dom`).
  if (qualify(origin?.name ?? "", domain(peerOf)) !== peerOf) {
    throw new RequestError(
      "PERMISSION_DENIED",
      `connection.path.path_segments[0].name: rule peer_origin: ${quote(origin?.name ?? "")} sent this request, not the peer ${quote(peerOf)} it names`,
    );
  }
  if (!ctx.origin) {
    const claimed = ctx.pathIds?.[0] ?? "";
    throw new RequestError(
      "PERMISSION_DENIED",
      `connection.path.path_segments[0].token: rule origin_proven: identity ${JSON.stringify(claimed)} is claimed, not proven (no TLS peer certificate, known key or trusted x5c chain for it signed the token)`,
    );
  }
  if (!allowed.test(ctx.origin)) {
    throw new RequestError(
      "PERMISSION_DENIED",
      `connection.path.path_segments[0].token: rule peer_allowed: identity ${JSON.stringify(ctx.origin)} may not peer (allowed: ${allowed.describe})`,
    );
  }
}

/** After the registry look-up, which records who registered an endpoint seen the first time. */
function checkRegistrant(check: PeerCheck, peerOf: string, ctx: CallContext): void {
  if (!check.allowedPeer) return;
  const registrant = check.registrantOf?.(peerOf);
  if (registrant && registrant !== ctx.origin) {
    throw new RequestError(
      "PERMISSION_DENIED",
      `connection.path.path_segments[0].token: rule peer_registrant: identity ${JSON.stringify(ctx.origin)} did not register ${quote(peerOf)} (${JSON.stringify(registrant)} did)`,
    );
  }
}

async function checkPeer(
  check: PeerCheck,
  conn: Connection,
  peerOf: string,
  ctx: CallContext,
): Promise<void> {
  const field = `connection.labels["${PEER_REQUEST_LABEL}"]`;
  if (!peerOf || peerOf === check.self)
    throw new RequestError("INVALID_ARGUMENT", `${field}: ${quote(peerOf)} is not a peer name`);
  // The sender's proof first: a mark from anyone not allowed to peer costs no registry look-up (nor
  // the wait for the watch), so made-up peer names cannot make the endpoint work for them.
  checkIdentity(check, conn, peerOf, ctx);
  if (!(await check.isPeer(peerOf, conn.networkService))) {
    throw new RequestError(
      "PERMISSION_DENIED",
      `${field}: rule peer_registered: ${quote(peerOf)} is not a registered vL3 peer of ${quote(conn.networkService)}`,
    );
  }
  if (!dials(peerOf, check.self)) {
    throw new RequestError(
      "FAILED_PRECONDITION",
      `${field}: by the peer rule ${check.self} dials ${quote(peerOf)}, not the other way`,
    );
  }
  checkRegistrant(check, peerOf, ctx);
}

export function peerRequests(check: PeerCheck): Element {
  return (next) => ({
    request: (req, ctx) => {
      const peerOf = req.connection!.labels?.[PEER_REQUEST_LABEL];
      // An NSC's request (no mark) goes on at once: no promise of its own.
      if (peerOf === undefined && !check.nsmPeer) return next.request(req, ctx);
      if (peerOf === undefined) {
        return unmarked(check, req.connection!, ctx).then((nsm) => {
          if (nsm) {
            // Served as that peer's link from here on: the endpoint knows a peer's links by the mark.
            req.connection!.labels = { ...req.connection!.labels, [PEER_REQUEST_LABEL]: nsm };
            ctx.peerOf = nsm;
          }
          return next.request(req, ctx);
        });
      }
      return checkPeer(check, req.connection!, peerOf, ctx).then(() => {
        ctx.peerOf = peerOf;
        return next.request(req, ctx);
      });
    },
    close: (conn, ctx) => next.close(conn, ctx),
  });
}
