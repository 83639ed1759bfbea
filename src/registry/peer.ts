// The vL3 peer rules: which registered endpoints are peers, and which side of a pair dials.
import type { NetworkServiceEndpoint } from "../grpc/gen/registry/registry.js";
import { PEER_LABEL } from "./labels.js";

/** Whether `nse` declares itself a vL3 peer of `service` (PEER_LABEL "true" in that service's labels). */
export function isPeerEndpoint(nse: NetworkServiceEndpoint, service: string): boolean {
  return (
    nse.networkServiceNames.includes(service) &&
    nse.networkServiceLabels[service]?.labels[PEER_LABEL] === "true"
  );
}

/**
 * Of two peer endpoints, the one whose name sorts lower (plain JS string order) dials the other,
 * and the other only accepts: one link per pair, decided without talking, whatever the start order.
 */
export function dialsPeer(self: string, peer: string): boolean {
  return self < peer;
}

/**
 * Mixed fleets: an endpoint registered for `service` without our peer label is taken for NSM's own
 * vL3 endpoint, which peers with every endpoint of its service.
 */
export function isNsmEndpoint(nse: NetworkServiceEndpoint, service: string): boolean {
  return nse.networkServiceNames.includes(service) && !isPeerEndpoint(nse, service);
}

/**
 * NSM's rule for a pair with one of its vL3 endpoints: the newer registration dials every older one
 * (equal times: both dial). `self` and `peer` are initial_registration_time; unknown counts as newest.
 */
export function dialsNsmPeer(self: Date | undefined, peer: Date | undefined): boolean {
  if (!peer) return false;
  return !self || peer.getTime() <= self.getTime();
}
