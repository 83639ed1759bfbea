// The sandbox nsmgr's network service registry: Register, Unregister and Find of network services
// pass on to the registry, the nsmgr a hop of each call's path with path tokens on (registry-hop.ts).
// Served, as the endpoint side is, only where descriptors pass (endpoints then register through it).
import {
  type NetworkServiceRegistryClient,
  type NetworkServiceRegistryServer,
  NetworkServiceRegistryService,
} from "../grpc/gen/registry/registry.js";
import { relayedStream } from "../grpc/relay.js";
import type { PathSecurity } from "../security/path-security.js";
import { fail, pipe, timeoutOf } from "./nsmgr-registry-call.js";
import { forwardRegistryCall } from "./registry-hop.js";

export function nsmgrServiceRegistry(
  registry: NetworkServiceRegistryClient,
  security?: PathSecurity,
): NetworkServiceRegistryServer {
  return {
    register: (call, cb) => {
      forwardRegistryCall(call, security, registry, registry.register, call.request, timeoutOf(call)).then(
        (r) => cb(null, r),
        (e) => cb(fail(e)),
      );
    },
    unregister: (call, cb) => {
      forwardRegistryCall(call, security, registry, registry.unregister, call.request, timeoutOf(call)).then(
        () => cb(null, {}),
        (e) => cb(fail(e)),
      );
    },
    find: (call) => pipe(relayedStream(registry, NetworkServiceRegistryService.find, call.request), call),
  };
}
