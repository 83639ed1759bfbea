// The registry's endpoints as an nsmgr sees them, kept current by one Find with watch (as NSM's
// registry query cache does): choosing the endpoint of a Request is a lookup, not a registry call.
// While the watch is down the cache is empty, and callers ask the registry themselves.
import type * as grpc from "@grpc/grpc-js";
import {
  NetworkServiceEndpoint,
  type NetworkServiceEndpointRegistryClient,
  type NetworkServiceEndpointResponse,
} from "../grpc/gen/registry/registry.js";
import { Backoff, DEFAULT_BACKOFF } from "../util/backoff.js";

export class EndpointCache {
  private readonly entries = new Map<string, NetworkServiceEndpoint>();
  private readonly backoff = new Backoff(DEFAULT_BACKOFF);
  private stream?: grpc.ClientReadableStream<NetworkServiceEndpointResponse>;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly registry: NetworkServiceEndpointRegistryClient) {
    this.connect();
  }

  /** Live entries: by name, or those of a network service. */
  find(query: { name?: string; service?: string }): NetworkServiceEndpoint[] {
    const now = Date.now();
    const live = (e: NetworkServiceEndpoint | undefined): e is NetworkServiceEndpoint =>
      e !== undefined && (!e.expirationTime || e.expirationTime.getTime() > now);
    if (query.name) {
      const e = this.entries.get(query.name);
      return live(e) ? [e] : [];
    }
    return [...this.entries.values()].filter(
      (e) => live(e) && e.networkServiceNames.includes(query.service ?? ""),
    );
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.drop();
  }

  private connect(): void {
    if (this.stopped) return;
    const stream = this.registry.find({
      networkServiceEndpoint: NetworkServiceEndpoint.fromPartial({}),
      watch: true,
    });
    this.stream = stream;
    stream.on("data", (r: NetworkServiceEndpointResponse) => {
      const e = r.networkServiceEndpoint;
      if (!e) return;
      this.backoff.reset();
      if (r.deleted) this.entries.delete(e.name);
      else this.entries.set(e.name, e);
    });
    const broken = () => {
      if (this.stream !== stream) return;
      this.drop();
      this.timer = setTimeout(() => this.connect(), this.backoff.next());
    };
    stream.on("error", broken);
    stream.on("end", broken);
  }

  private drop(): void {
    const stream = this.stream;
    this.stream = undefined;
    this.entries.clear();
    stream?.cancel();
  }
}
