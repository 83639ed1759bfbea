// The vL3 peers of one service, kept current from a registry Find with watch: endpoints that carry
// PEER_LABEL=true for the service come up and go down as they register, leave or expire. A broken
// stream is redialled with backoff and reconciled against a fresh listing. Which peers are known, and
// when one comes up or goes down, is peer-set.ts; this file keeps it fed from the registry.
import { EventEmitter } from "node:events";
import type * as grpc from "@grpc/grpc-js";
import {
  NetworkServiceEndpoint,
  type NetworkServiceEndpointRegistryClient,
  type NetworkServiceEndpointResponse,
} from "../grpc/gen/registry/registry.js";
import type { Transport } from "../grpc/transport.js";
import type { GrpcUrl } from "../grpc/url.js";
import type { Logger } from "../log.js";
import { Backoff, type BackoffOptions, DEFAULT_BACKOFF } from "../util/backoff.js";
import { describeError } from "../util/grpc.js";
import { endpointRegistryClient } from "./clients.js";
import { listEndpoints } from "./list.js";
import { type PeerEvent, PeerSet } from "./peer-set.js";

export type { PeerDownReason, PeerEvent } from "./peer-set.js";

export interface WatchPeersOptions {
  target: GrpcUrl | string;
  /** How the registry is dialled (credentials); default plain text. */
  transport?: Transport;
  /** The service as watched: `svc`, or `svc@domain` for another domain's endpoints of it. */
  service: string;
  /** This endpoint's own identity (interdomain.ts `qualify`): never its own peer. */
  self: string;
  /** This endpoint's domain: bare names in the results are qualified with it (default ""). */
  home?: string;
  /**
   * How long the watch may stay broken before its peers go down as "unreachable" (default 0: never).
   * For another domain, whose entries would have expired by then had we been able to see them.
   */
  unreachableGraceMs?: number;
  log: Logger;
  backoff?: BackoffOptions;
  /**
   * How long a peer missing from the listing after a reconnect is kept before it goes down with
   * "gone" (default 0: at once). A registry that restarted has forgotten everyone until they
   * re-register, so a grace of a few seconds avoids tearing healthy peer links down.
   */
  goneGraceMs?: number;
  /** Re-list and reconcile this often even while the stream is up (default 0: never). */
  resyncMs?: number;
  /** Also NSM's own vL3 endpoints of the service (registered without our label): mixed fleets. */
  nsmPeers?: boolean;
  /** Deadline of one listing (default 5 s). */
  timeoutMs?: number;
}

type Events = { peer: [PeerEvent]; up: [PeerEvent]; down: [PeerEvent]; synced: []; disconnected: [] };

export class PeerWatch extends EventEmitter<Events> {
  private readonly client: NetworkServiceEndpointRegistryClient;
  private readonly backoff: Backoff;
  private readonly known: PeerSet;
  /** Watch message count, and the count at which each name was last mentioned on the stream. */
  private seq = 0;
  private readonly lastSeen = new Map<string, number>();
  private stream: grpc.ClientReadableStream<NetworkServiceEndpointResponse> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private unreachableTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private hasSynced = false;
  private listing: Promise<void> = Promise.resolve();
  /** Callers of `shown` waiting for a name, told true when the watch shows it, false on stop. */
  private readonly awaited = new Map<string, Set<(shown: boolean) => void>>();

  constructor(private readonly options: WatchPeersOptions) {
    super();
    const backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.backoff = new Backoff(backoff);
    this.client = endpointRegistryClient(options.target, backoff, options.transport);
    this.known = new PeerSet({ ...options, publish: (event) => this.publish(event) });
    this.connect();
  }

  /** The peers known now, by name. */
  peers(): Map<string, NetworkServiceEndpoint> {
    return this.known.copy();
  }

  /** The registry entry of a known peer. */
  get(name: string): NetworkServiceEndpoint | undefined {
    return this.known.get(name);
  }

  /** Whether `name` is a registered peer of the service (checks a peer request's mark). */
  isPeer(name: string): boolean {
    return this.known.has(name);
  }

  /**
   * Whether the watch shows `name` now or within `ms` (false at once while the stream is down). A peer
   * whose Request arrives a moment before its registration's event does is then taken from the watch,
   * not from a registry Find of its own: 100 endpoints in two processes made ~580 such Finds.
   */
  shown(name: string, ms: number): Promise<boolean> {
    if (this.known.has(name)) return Promise.resolve(true);
    if (this.stopped || !this.stream || ms <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiting = this.awaited.get(name) ?? new Set<(shown: boolean) => void>();
      this.awaited.set(name, waiting);
      const done = (shown: boolean) => {
        clearTimeout(timer);
        waiting.delete(done);
        if (waiting.size === 0 && this.awaited.get(name) === waiting) this.awaited.delete(name);
        resolve(shown);
      };
      const timer = setTimeout(() => done(false), ms);
      waiting.add(done);
    });
  }

  /** Whether the first listing has been reconciled: `peers()` is then the registry's view. */
  get synced(): boolean {
    return this.hasSynced;
  }

  whenSynced(): Promise<void> {
    return this.hasSynced ? Promise.resolve() : new Promise((resolve) => this.once("synced", resolve));
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.resyncTimer);
    clearTimeout(this.unreachableTimer);
    this.known.stop();
    for (const waiting of [...this.awaited.values()]) for (const done of [...waiting]) done(false);
    this.closeStream();
    this.client.close();
  }

  private query(): NetworkServiceEndpoint {
    return NetworkServiceEndpoint.fromPartial({ networkServiceNames: [this.options.service] });
  }

  private connect(): void {
    if (this.stopped) return;
    const stream = this.client.find({ networkServiceEndpoint: this.query(), watch: true });
    this.stream = stream;
    const broken = (why: string) => {
      if (this.stream !== stream || this.stopped) return;
      this.closeStream();
      clearInterval(this.resyncTimer);
      const delay = this.backoff.next();
      this.options.log.warn({ service: this.options.service, why, retryInMs: delay }, "peer watch broken");
      this.emit("disconnected");
      this.armUnreachable();
      this.timer = setTimeout(() => this.connect(), delay);
    };
    stream.on("data", (r: NetworkServiceEndpointResponse) => this.onWatch(r));
    stream.on("error", (err) => broken(describeError(err)));
    stream.on("end", () => broken("watch ended"));
    // The watch sends what exists and then changes, but never says when "what exists" is complete;
    // a plain listing does, and tells which known peers vanished while we were away.
    void this.resync().then(
      () => {
        if (this.stream !== stream) return;
        this.backoff.reset();
        clearTimeout(this.unreachableTimer);
        this.unreachableTimer = undefined;
        if (this.options.resyncMs) {
          clearInterval(this.resyncTimer);
          this.resyncTimer = setInterval(
            () =>
              void this.resync().catch((err) =>
                // The next listing (or the watch) catches up; say why this one did not.
                this.options.log.info({ err, service: this.options.service }, "peer re-listing failed"),
              ),
            this.options.resyncMs,
          );
        }
      },
      (err) => broken(`listing failed: ${describeError(err)}`),
    );
  }

  /** Listings run one at a time, in order. */
  private resync(): Promise<void> {
    const run = this.listing.then(() => this.reconcile());
    this.listing = run.catch(() => {}); // the error is `run`'s caller's; this only keeps the order
    return run;
  }

  private async reconcile(): Promise<void> {
    const startSeq = this.seq;
    const listed = (await listEndpoints(this.client, this.query(), this.options.timeoutMs ?? 5000)).map(
      (nse) => this.known.identified(nse),
    );
    if (this.stopped) return;
    const names = new Set<string>();
    for (const nse of listed) {
      names.add(nse.name);
      // Anything the stream mentioned since the listing began is newer than the listing.
      if ((this.lastSeen.get(nse.name) ?? -1) >= startSeq) continue;
      this.known.apply(nse);
    }
    for (const name of this.known.names()) {
      if (!names.has(name) && (this.lastSeen.get(name) ?? -1) < startSeq) this.known.goneLater(name);
    }
    for (const [name, at] of this.lastSeen) if (at < startSeq) this.lastSeen.delete(name);
    if (!this.hasSynced) {
      this.hasSynced = true;
      this.emit("synced");
    }
  }

  private onWatch(r: NetworkServiceEndpointResponse): void {
    if (!r.networkServiceEndpoint) return;
    const nse = this.known.identified(r.networkServiceEndpoint);
    this.lastSeen.set(nse.name, this.seq++);
    if (!r.deleted) {
      this.known.apply(nse);
      return;
    }
    const expired = (nse.expirationTime?.getTime() ?? Number.POSITIVE_INFINITY) <= Date.now();
    this.known.down(nse.name, expired ? "expired" : "deleted");
  }

  private armUnreachable(): void {
    const grace = this.options.unreachableGraceMs ?? 0;
    if (grace <= 0 || this.unreachableTimer) return;
    this.unreachableTimer = setTimeout(() => {
      this.options.log.warn({ service: this.options.service, graceMs: grace }, "peers unreachable");
      for (const name of this.known.names()) this.known.down(name, "unreachable");
    }, grace);
  }

  private publish(event: PeerEvent): void {
    if (event.type === "up") for (const done of [...(this.awaited.get(event.nse.name) ?? [])]) done(true);
    this.emit("peer", event);
    this.emit(event.type, event);
  }

  private closeStream(): void {
    const stream = this.stream;
    this.stream = undefined;
    if (!stream) return;
    stream.removeAllListeners("data");
    stream.on("error", () => {}); // the cancellation itself arrives as an error
    stream.cancel();
  }
}

/** Watches the vL3 peers of `service` until `stop()`. */
export function watchPeers(options: WatchPeersOptions): PeerWatch {
  return new PeerWatch(options);
}
