// What the endpoint uses of the NSM registry: its own registration (register.ts), the watch on its
// peers (peers.ts) and the peer rules (peer.ts).
export { type EndpointRegistration, type RegisterOptions, registerEndpoint } from "./register.js";
export { type PeerEvent, type PeerWatch, type WatchPeersOptions, watchPeers } from "./peers.js";
export { dialsPeer, isPeerEndpoint } from "./peer.js";
export { endpointRegistryClient, serviceRegistryClient } from "./clients.js";
