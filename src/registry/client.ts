// What the endpoint uses of the NSM registry: its own registration (register.ts), the watch on its
// peers (peers.ts) and the peer rules (peer.ts).

export { endpointRegistryClient, serviceRegistryClient } from "./clients.js";
export { dialsPeer, isPeerEndpoint } from "./peer.js";
export { type PeerEvent, type PeerWatch, type WatchPeersOptions, watchPeers } from "./peers.js";
export { type EndpointRegistration, type RegisterOptions, registerEndpoint } from "./register.js";
