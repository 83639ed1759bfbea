// The sandbox nsmgr's endpoint registry, as NSM's nsmgr has it: endpoints register through their
// nsmgr, which forwards to the registry. An endpoint that registers an inode:// url has passed its
// listening socket on the same connection (NSM's registry recvfd): the nsmgr keeps that descriptor
// (nsmgr-local-endpoints.ts) and registers unix:///proc/<pid>/fd/<n>, the only way it dials the
// endpoint; the reply carries the inode URL back. The endpoint's network namespace came with it (the
// NSE offers it to its nsmgr), and is what the sandbox kernel forwarder opens, never a namespace name.
import * as grpc from "@grpc/grpc-js";
import { isInodeUrl } from "../fd/inode-url.js";
import { currentFdConnection } from "../grpc/fd-transport.js";
import {
  type NetworkServiceEndpoint,
  type NetworkServiceEndpointRegistryClient,
  type NetworkServiceEndpointRegistryServer,
  NetworkServiceEndpointRegistryService,
} from "../grpc/gen/registry/registry.js";
import { relayedStream } from "../grpc/relay.js";
import type { PathSecurity } from "../security/path-security.js";
import { statusError } from "../util/grpc.js";
import type { LocalEndpoints } from "./nsmgr-local-endpoints.js";
import { deadlineOf, fail, pipe, timeoutOf } from "./nsmgr-registry-call.js";
import { forwardRegistryCall } from "./registry-hop.js";

/** `security`: path tokens on, the nsmgr a hop of each Register's and Unregister's path (registry-hop.ts). */
export function nsmgrEndpointRegistry(
  registry: NetworkServiceEndpointRegistryClient,
  local: LocalEndpoints,
  security?: PathSecurity,
): NetworkServiceEndpointRegistryServer {
  const unchanged = (url: string) => ({ url, keep: () => {}, drop: () => {} });
  /** The url the registry is given, and what to do with descriptors taken for it once it answered. */
  const forwardUrl = async (call: grpc.ServerUnaryCall<NetworkServiceEndpoint, unknown>) => {
    const nse = call.request;
    if (!isInodeUrl(nse.url)) return unchanged(nse.url);
    const conn = currentFdConnection();
    if (!conn) {
      throw statusError(
        grpc.status.INVALID_ARGUMENT,
        `url: ${nse.url} came on a connection without descriptors`,
      );
    }
    return local.receive(nse.name, nse.url, conn, deadlineOf(call)).catch((err: Error) => {
      throw statusError(grpc.status.DEADLINE_EXCEEDED, `url: ${err.message}`);
    });
  };
  return {
    register: (call, cb) => {
      void (async () => {
        const { url, keep, drop } = await forwardUrl(call);
        const granted = await forwardRegistryCall(
          call,
          security,
          registry,
          registry.register,
          { ...call.request, url },
          timeoutOf(call),
        ).catch((err: unknown) => {
          drop();
          throw err;
        });
        keep();
        local.expireAt(call.request.name, granted.expirationTime);
        cb(null, { ...granted, url: call.request.url });
      })().catch((err) => cb(fail(err)));
    },
    unregister: (call, cb) => {
      void (async () => {
        const { url, drop } = await forwardUrl(call);
        await forwardRegistryCall(
          call,
          security,
          registry,
          registry.unregister,
          { ...call.request, url },
          timeoutOf(call),
        ).finally(drop);
        local.forget(call.request.name);
        cb(null, {});
      })().catch((err) => cb(fail(err)));
    },
    find: (call) =>
      pipe(relayedStream(registry, NetworkServiceEndpointRegistryService.find, call.request), call),
  };
}
