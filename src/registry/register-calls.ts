// What the endpoint's registration sends: its entry (every service, with PEER_LABEL unless it is no
// peer), the NetworkService registrations, and Register/Unregister carrying the registry's path as
// NSM's client does (path-call.ts). register.ts decides when; this holds the clients and the path.
import type * as grpc from "@grpc/grpc-js";
import {
  NetworkServiceEndpoint,
  type NetworkServiceEndpointRegistryClient,
  type NetworkServiceRegistryClient,
} from "../grpc/gen/registry/registry.js";
import type { Transport } from "../grpc/transport.js";
import type { GrpcUrl } from "../grpc/url.js";
import { EMPTY_REGISTRY_PATH, type RegistryPath } from "../security/registry-path.js";
import type { BackoffOptions } from "../util/backoff.js";
import { endpointRegistryClient, serviceRegistryClient } from "./clients.js";
import { PEER_LABEL } from "./labels.js";
import { callWithPath, type RegistryAuthorize } from "./path-call.js";

export interface EndpointRegistration {
  name: string;
  serviceNames: string[];
  /** Registered for every service (NSM_LABELS); PEER_LABEL is added unless `peer` is false. */
  labels: Record<string, string>;
  /** Where peers and the nsmgr reach this endpoint. */
  url: string;
}

/** The entry to register, asking for `expiryMs`; `initial` is the registry's first time, sent back as NSM's clients do. */
export function registrationEntry(
  nse: EndpointRegistration,
  o: { peer?: boolean; expiryMs: number; initial?: Date },
): NetworkServiceEndpoint {
  const labels = (o.peer ?? true) ? { ...nse.labels, [PEER_LABEL]: "true" } : { ...nse.labels };
  return NetworkServiceEndpoint.fromPartial({
    name: nse.name,
    networkServiceNames: nse.serviceNames,
    networkServiceLabels: Object.fromEntries(nse.serviceNames.map((s) => [s, { labels }])),
    url: nse.url,
    expirationTime: new Date(Date.now() + o.expiryMs),
    // The registry keeps its own first time anyway.
    initialRegistrationTime: o.initial,
  });
}

export interface RegistrationCallsOptions {
  target: GrpcUrl | string;
  transport?: Transport;
  backoff: BackoffOptions;
  /** Deadline of one call. */
  timeoutMs: number;
  authorize?: RegistryAuthorize;
}

export class RegistrationCalls {
  /** Also what the self-watch watches through (self-watch.ts). */
  readonly nseClient: NetworkServiceEndpointRegistryClient;
  private readonly nsClient: NetworkServiceRegistryClient;
  /** The registry's path of our entry, as the last answer gave it back. */
  private path: RegistryPath = EMPTY_REGISTRY_PATH;
  /** Each NetworkService's registry path, as its last Register answer gave it back. */
  private readonly servicePaths = new Map<string, RegistryPath>();

  constructor(private readonly o: RegistrationCallsOptions) {
    this.nseClient = endpointRegistryClient(o.target, o.backoff, o.transport);
    this.nsClient = serviceRegistryClient(o.target, o.backoff, o.transport);
  }

  /** Registers each NetworkService {name, payload "IP"} (NSM_REGISTER_SERVICE), with its `path` header
   * as NSM's NS registry client sends it, the answer's path checked and kept per service. */
  async registerServices(names: string[]): Promise<void> {
    for (const name of names) {
      const { path } = await callWithPath(
        this.nsClient as unknown as grpc.Client,
        this.nsClient.register,
        { name, payload: "IP", matches: [], pathIds: [] },
        {
          timeoutMs: this.o.timeoutMs,
          path: this.servicePaths.get(name) ?? EMPTY_REGISTRY_PATH,
          authorize: this.o.authorize,
        },
      );
      this.servicePaths.set(name, path);
    }
  }

  /** Registers (or refreshes) the entry; resolves to what the registry granted. */
  register(entry: NetworkServiceEndpoint): Promise<NetworkServiceEndpoint> {
    return this.withPath(this.nseClient.register, entry);
  }

  unregister(entry: NetworkServiceEndpoint): Promise<unknown> {
    return this.withPath(this.nseClient.unregister, entry);
  }

  close(): void {
    this.nseClient.close();
    this.nsClient.close();
  }

  /** A Register or Unregister of our entry, carrying its registry path and keeping what comes back. */
  private async withPath<Res>(
    method: Parameters<typeof callWithPath<NetworkServiceEndpoint, Res>>[1],
    entry: NetworkServiceEndpoint,
  ): Promise<Res> {
    const { response, path } = await callWithPath(this.nseClient as unknown as grpc.Client, method, entry, {
      timeoutMs: this.o.timeoutMs,
      path: this.path,
      authorize: this.o.authorize,
    });
    this.path = path;
    return response;
  }
}
