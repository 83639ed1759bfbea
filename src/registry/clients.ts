// grpc-js clients of the two NSM registry services.
import * as grpc from "@grpc/grpc-js";
import {
  NetworkServiceEndpointRegistryClient,
  NetworkServiceRegistryClient,
} from "../grpc/gen/registry/registry.js";
import type { BackoffOptions } from "../util/backoff.js";
import { channelOptions, normalizeTarget } from "../util/grpc.js";

/** Plain-text clients for now: mTLS with SPIFFE SVIDs is a transport concern added in one place here. */
export function endpointRegistryClient(
  target: string,
  backoff: BackoffOptions,
): NetworkServiceEndpointRegistryClient {
  return new NetworkServiceEndpointRegistryClient(
    normalizeTarget(target),
    grpc.credentials.createInsecure(),
    channelOptions(backoff),
  );
}

export function serviceRegistryClient(target: string, backoff: BackoffOptions): NetworkServiceRegistryClient {
  return new NetworkServiceRegistryClient(
    normalizeTarget(target),
    grpc.credentials.createInsecure(),
    channelOptions(backoff),
  );
}
