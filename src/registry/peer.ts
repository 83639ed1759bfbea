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
