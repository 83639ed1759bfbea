// The vL3 peers of one service as last seen in the registry: which are known, when one comes up,
// changes or goes down, and the grace before one missing from a listing goes as "gone". PeerWatch
// (peers.ts) feeds it from the watch stream and the listings; this holds no stream or timer of its own
// beyond those graces.
import type { NetworkServiceEndpoint } from "../grpc/gen/registry/registry.js";
import type { Logger } from "../log.js";
import { qualify } from "./interdomain.js";
import { isNsmEndpoint, isPeerEndpoint } from "./peer.js";

export type PeerDownReason = "deleted" | "expired" | "gone" | "unreachable";
export type PeerEvent =
  | { type: "up"; nse: NetworkServiceEndpoint }
  | { type: "down"; name: string; reason: PeerDownReason };

export interface PeerSetOptions {
  service: string;
  /** This endpoint's own identity: never its own peer. */
  self: string;
  /** This endpoint's domain: bare names are qualified with it (default ""). */
  home?: string;
  /** Also NSM's own vL3 endpoints of the service (registered without our label). */
  nsmPeers?: boolean;
  /** How long a peer missing from a listing is kept before it goes down as "gone" (default 0). */
  goneGraceMs?: number;
  log: Logger;
  /** Told of every peer that comes up, changes or goes down. */
  publish(event: PeerEvent): void;
}

export class PeerSet {
  private readonly known = new Map<string, NetworkServiceEndpoint>();
  private readonly pendingGone = new Map<string, NodeJS.Timeout>();

  constructor(private readonly o: PeerSetOptions) {}

  get(name: string): NetworkServiceEndpoint | undefined {
    return this.known.get(name);
  }

  has(name: string): boolean {
    return this.known.has(name);
  }

  /** The peers known now, by name (a copy). */
  copy(): Map<string, NetworkServiceEndpoint> {
    return new Map(this.known);
  }

  /** The names known now (a copy: safe to take peers down while going through it). */
  names(): string[] {
    return [...this.known.keys()];
  }

  /** The entry under its identity: a bare name from our own registry is in our domain. */
  identified(nse: NetworkServiceEndpoint): NetworkServiceEndpoint {
    const name = qualify(nse.name, this.o.home ?? "");
    return name === nse.name ? nse : { ...nse, name };
  }

  /** Takes one current entry: a new or changed peer comes up; one that lost the label goes down. */
  apply(nse: NetworkServiceEndpoint): void {
    if (nse.name === this.o.self) return;
    const service = this.o.service;
    if (!isPeerEndpoint(nse, service) && !(this.o.nsmPeers && isNsmEndpoint(nse, service))) {
      this.down(nse.name, "deleted");
      return;
    }
    this.cancelGone(nse.name);
    const before = this.known.get(nse.name);
    this.known.set(nse.name, nse);
    if (before && !this.changed(before, nse)) return;
    this.o.log.info({ peer: nse.name, url: nse.url }, before ? "peer changed" : "peer up");
    this.o.publish({ type: "up", nse });
  }

  down(name: string, reason: PeerDownReason): void {
    this.cancelGone(name);
    if (!this.known.delete(name)) return;
    this.o.log.info({ peer: name, reason }, "peer down");
    this.o.publish({ type: "down", name, reason });
  }

  /** A known peer is missing from a listing: it goes down as "gone" after the grace, unless seen again. */
  goneLater(name: string): void {
    const grace = this.o.goneGraceMs ?? 0;
    if (grace <= 0) {
      this.down(name, "gone");
      return;
    }
    if (this.pendingGone.has(name)) return;
    this.pendingGone.set(
      name,
      setTimeout(() => this.down(name, "gone"), grace),
    );
  }

  /** Drops the pending graces (the watch stopped). */
  stop(): void {
    for (const t of this.pendingGone.values()) clearTimeout(t);
    this.pendingGone.clear();
  }

  private cancelGone(name: string): void {
    clearTimeout(this.pendingGone.get(name));
    this.pendingGone.delete(name);
  }

  private changed(a: NetworkServiceEndpoint, b: NetworkServiceEndpoint): boolean {
    const s = this.o.service;
    return (
      a.url !== b.url || !sameLabels(a.networkServiceLabels[s]?.labels, b.networkServiceLabels[s]?.labels)
    );
  }
}

function sameLabels(a: Record<string, string> = {}, b: Record<string, string> = {}): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}
