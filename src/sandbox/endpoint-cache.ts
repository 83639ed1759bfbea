// The registry's endpoints as an nsmgr sees them, kept current by one Find with watch (as NSM's
// registry query cache does): choosing the endpoint of a Request is a lookup, not a registry call.
// While the watch is down the cache is empty, and callers ask the registry themselves.
import type * as grpc from "@grpc/grpc-js";
import {
  NetworkServiceEndpoint,
  type NetworkServiceEndpointRegistryClient,
  type NetworkServiceEndpointResponse,
} from "../grpc/gen/registry/registry.js";
import { isInterdomain } from "../registry/interdomain.js";
import { Backoff, DEFAULT_BACKOFF } from "../util/backoff.js";

/** How long another domain's answer is reused (NSM's query cache keeps Find results too). */
const REMOTE_TTL_MS = 5000;

export class EndpointCache {
  private readonly entries = new Map<string, NetworkServiceEndpoint>();
  private readonly backoff = new Backoff(DEFAULT_BACKOFF);
  private stream?: grpc.ClientReadableStream<NetworkServiceEndpointResponse>;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  /** Registry look-ups in flight, and recent answers about other domains' endpoints. */
  private readonly asked = new Map<string, { at: number; result: Promise<NetworkServiceEndpoint[]> }>();

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

  /**
   * Asks the registry (`ask`) for what the watch does not hold: an endpoint that registered a moment
   * ago, or another domain's (`name@domain`, never in our registry). One question in flight per query;
   * an interdomain answer is kept a few seconds: a burst of links to one remote endpoint would
   * otherwise ask through both proxies once per link.
   */
  lookUp(
    query: { name?: string; service?: string },
    ask: () => Promise<NetworkServiceEndpoint[]>,
  ): Promise<NetworkServiceEndpoint[]> {
    const key = query.name ? `name:${query.name}` : `service:${query.service}`;
    const known = this.asked.get(key);
    if (known && Date.now() - known.at < REMOTE_TTL_MS) return known.result;
    const keep = isInterdomain(query.name ?? query.service ?? "");
    const entry = { at: Date.now(), result: ask() };
    this.asked.set(key, entry);
    const drop = () => {
      if (this.asked.get(key) === entry) this.asked.delete(key);
    };
    entry.result.then((found) => (keep && found.length > 0 ? undefined : drop()), drop);
    return entry.result;
  }

  /** Forgets a kept answer about `name` (a Request to it failed). */
  forget(name: string): void {
    this.asked.delete(`name:${name}`);
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
