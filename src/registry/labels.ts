// The explicit marks that make a vL3 mesh: replaces the Go vL3's DNS/src-IP heuristic.

/**
 * Registration label (in network_service_labels[service]) by which an endpoint says it is a vL3 peer
 * of that service. Only endpoints with `vl3.networkservicemesh.io/peer: "true"` are peered with.
 */
export const PEER_LABEL = "vl3.networkservicemesh.io/peer";

/**
 * Connection label a dialling vL3 NSE puts on its peer Request, naming itself. The serving NSE
 * accepts the request as a peer request only if that name is a registered peer of the same service.
 */
export const PEER_REQUEST_LABEL = "vl3.networkservicemesh.io/peer-of";

/** gRPC metadata key by which an endpoint tells a prefix server who it is (kept across restarts). */
export const PREFIX_IDENTITY_METADATA = "vl3-endpoint-id";
