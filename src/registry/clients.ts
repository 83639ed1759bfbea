// grpc-js clients of the two NSM registry services, built by the transport (its credentials), with
// reconnects that follow the caller's backoff.
import {
  NetworkServiceEndpointRegistryClient,
  NetworkServiceRegistryClient,
} from "../grpc/gen/registry/registry.js";
import { defaultTransport, type Transport } from "../grpc/transport.js";
import type { GrpcUrl } from "../grpc/url.js";
import type { BackoffOptions } from "../util/backoff.js";

export function endpointRegistryClient(
  target: GrpcUrl | string,
  backoff: BackoffOptions,
  transport: Transport = defaultTransport,
): NetworkServiceEndpointRegistryClient {
  return transport.client(NetworkServiceEndpointRegistryClient, target, { backoff });
}

export function serviceRegistryClient(
  target: GrpcUrl | string,
  backoff: BackoffOptions,
  transport: Transport = defaultTransport,
): NetworkServiceRegistryClient {
  return transport.client(NetworkServiceRegistryClient, target, { backoff });
}
