// The endpoint actor at run time: the pure endpoint machine given its real effects, and the public API
// the gRPC servers, the registry watch and the debug server talk to. The IPAM (endpoint-ipam.ts), the
// supervision of connection actors (endpoint-connections.ts) and of peer actors (endpoint-peers.ts),
// the machine's effects (endpoint-effects.ts) and stopping (endpoint-stop.ts) live in their own
// files; this one wires them up.
import type { Actor, InspectionEvent } from "xstate";
import { RequestError } from "../chain/errors.js";
import type { Owner } from "../chain/owner.js";
import type { Config } from "../config/config.js";
import { DataplaneQueue } from "../dataplane/queue.js";
import type { Dataplane } from "../dataplane/types.js";
import type { Connection } from "../grpc/gen/networkservice/connection.js";
import type { Logger } from "../log.js";
import type { ConnectionKind } from "../machines/connection.machine.js";
import type { endpointMachine } from "../machines/endpoint.machine.js";
import type { PeerRole } from "../machines/peer.machine.js";
import type { PrefixSource } from "../prefix/types.js";
import type { ConnectionActors } from "./connection-actors.js";
import type { ConnectionEffectsDeps } from "./connection-effects.js";
import { askRefresh, logTransitions, superviseConnections } from "./endpoint-connections.js";
import { createEndpointActor } from "./endpoint-effects.js";
import { EndpointIpam } from "./endpoint-ipam.js";
import { PeerSupervision } from "./endpoint-peers.js";
import { drain, halt } from "./endpoint-stop.js";
import { ExpiryTimers } from "./expiry.js";
import type { Vl3Addressing } from "./ip-context.js";
import { ConnectionEvents } from "./monitor-events.js";
import type { ActorView, LifecycleSignal, Observable } from "./observe.js";
import type { PeerLinks } from "./peer-effects.js";
import { RecentOwners } from "./recent-owners.js";
import { ConnectionLanes, type EndpointCall, type RequestDeps } from "./requests.js";
import { ActorTracker } from "./tracker.js";
import { buildTree, persistedSnapshotOf } from "./tree.js";
import { Vl3Mtu } from "./vl3mtu.js";
import { settle } from "./wait.js";

export interface EndpointOptions {
  config: Config;
  log: Logger;
  dataplane: Dataplane;
  prefixSource: PrefixSource;
  peerLinks?: PeerLinks;
  /** Forwards inspection events (the Stately inspector). */
  inspect?: (event: InspectionEvent) => void;
  random?: () => number;
  /** This endpoint's DNS server and search domains for a connection it answers (workload DNS). */
  dnsConfig?: ConnectionEffectsDeps["dnsConfig"];
}

export class Endpoint implements Observable {
  readonly events = new ConnectionEvents();
  readonly queue: DataplaneQueue;
  private readonly tracker = new ActorTracker();
  private readonly actor: Actor<typeof endpointMachine>;
  private readonly connections: ConnectionActors;
  private readonly peers: PeerSupervision;
  private readonly ipam: EndpointIpam;
  private readonly lanes: ConnectionLanes;
  private readonly expiry = new ExpiryTimers();
  /** The vL3 MTU: the smallest any connection (or peer answer) has shown. */
  readonly mtu = new Vl3Mtu();
  private stopping = false;
  private registered = false;
  private resynced = false;

  constructor(private readonly o: EndpointOptions) {
    const { config, log } = o;
    const signal = (s: LifecycleSignal) => this.tracker.emit(s);
    this.ipam = new EndpointIpam({ config, log, prefixSource: o.prefixSource, signal });
    const recent = new RecentOwners({ ttlMs: config.maxTokenLifetimeMs, max: config.maxEndedConnections });
    const queueLog = log.child({ component: "dataplane" });
    this.queue = new DataplaneQueue(o.dataplane, { log: queueLog, onSignal: signal });
    this.peers = new PeerSupervision({
      ...o,
      actor: () => this.actor,
      tracker: this.tracker,
      close: (id, deadline) => this.close(id, deadline),
      queue: this.queue,
      signal,
    });
    const effects: ConnectionEffectsDeps = {
      name: config.name,
      addressing: () => this.ipam.addressing(),
      queue: this.queue,
      events: this.events,
      expiry: this.expiry,
      onIpamChange: () => this.ipam.changed(),
      onLink: (conn, up) => this.peers.link(conn, up),
      signal,
      dnsConfig: o.dnsConfig,
      mtu: this.mtu,
      mtuLowered: (mtu, except) => this.askRefresh(mtu, except),
    };
    this.connections = superviseConnections({
      effects,
      tracker: this.tracker,
      served: this.peers.served,
      recent,
      log,
      ended: (id) => this.actor.send({ type: "CONNECTION.ENDED", id }),
      inspect: o.inspect,
    });
    const open: RequestDeps["open"] = (event) =>
      this.connections.startedBy(event.id, () => this.actor.send(event));
    const release = (id: string) => this.ipam.release(id);
    const serving = () => this.assertServing();
    this.lanes = new ConnectionLanes({ connections: this.connections, open, release, recent, log }, serving);
    this.actor = createEndpointActor({
      config,
      connections: this.connections,
      peers: this.peers.actors,
      startUp: () => this.startUp(),
      inspect: o.inspect,
    });
    this.tracker.track(this.actor);
    logTransitions(this.tracker, log);
  }

  get name(): string {
    return this.o.config.name;
  }

  get prefix(): string | undefined {
    return this.ipam.prefix;
  }

  get selfAddress(): string | undefined {
    return this.ipam.selfAddress;
  }

  addressing(): Vl3Addressing {
    return this.ipam.addressing();
  }

  /** Claims the prefix and resyncs the data plane; rejects if either fails. */
  async start(): Promise<void> {
    this.actor.start();
    const snapshot = await settle(this.actor, (s) => s.value !== "starting");
    if (!snapshot.matches("serving")) {
      throw new Error(`endpoint did not start: ${snapshot.context.lastError ?? "stopped"}`);
    }
  }

  private async startUp(): Promise<string> {
    const prefix = await this.ipam.start();
    await this.queue.resync();
    this.resynced = true;
    this.ipam.follow({
      changed: (next) => this.actor.send({ type: "PREFIX.CHANGED", prefix: next }),
      moved: (ids) => {
        for (const id of ids) this.connections.get(id)?.send({ type: "PREFIX_CHANGED" });
      },
    });
    return prefix;
  }

  /** The vL3 MTU went down: every other committed connection is asked to refresh (endpoint-connections.ts). */
  askRefresh(mtu: number, except?: string): void {
    askRefresh(this.connections, this.events, this.o.log, mtu, except);
  }

  /** Whether a connection id is served here, and as what. */
  kindOf(id: string): ConnectionKind | undefined {
    return this.connections.get(id)?.getSnapshot().context.kind;
  }

  /** Serves a Request that the chain has validated and given our path segment (requests.ts). */
  request(conn: Connection, call: EndpointCall): Promise<Connection> {
    return this.lanes.request(conn, call);
  }

  /** Closes a connection; the endpoint's own closes (replaced peer links) pass no `owner`. */
  close(id: string, deadline: number, owner?: Owner): Promise<void> {
    return this.lanes.close(id, deadline, owner);
  }

  /** A peer NSE of our service appeared in (or changed in) the registry. */
  peerFound(name: string, url: string, role: PeerRole): void {
    this.peers.found(name, url, role);
  }

  peerLost(name: string): void {
    this.peers.lost(name);
  }

  set registration(registered: boolean) {
    this.registered = registered;
  }

  /** Closes every connection and peer link (withdrawing their state), then releases what it holds. */
  async stop(options: { releasePrefix?: boolean; timeoutMs?: number } = {}): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.ipam.unfollow();
    await drain(this.actor, options.timeoutMs ?? 10_000, this.o.log);
    await this.halt(options.releasePrefix);
  }

  /** Stops at once, as a crashed process would: nothing is closed, withdrawn or released. */
  async abort(): Promise<void> {
    this.stopping = true;
    this.ipam.unfollow();
    await this.halt(false);
  }

  /** Lets go of everything, in the order endpoint-stop.ts gives. */
  private halt(releasePrefix?: boolean): Promise<void> {
    const { actor, connections, expiry, ipam, queue } = this;
    const [peers, dataplane] = [this.peers.actors, this.o.dataplane];
    return halt({ actor, connections, peers, expiry, ipam, queue, dataplane }, releasePrefix, this.o.log);
  }

  tree(): ActorView {
    const peers = [...this.peers.actors.values()];
    return buildTree(this.actor, [...this.connections.values()], peers, this.tracker, {
      name: this.name,
      prefix: this.prefix,
      address: this.selfAddress,
    });
  }

  persistedSnapshot(id: string): unknown {
    return persistedSnapshotOf(this.actor, this.connections, this.peers.actors, id);
  }

  onSignal(listener: (signal: LifecycleSignal) => void): () => void {
    return this.tracker.onSignal(listener);
  }

  readiness() {
    return { registered: this.registered, prefix: this.ipam.held, dataplane: this.resynced };
  }

  signal(signal: LifecycleSignal): void {
    this.tracker.emit(signal);
  }

  private assertServing(): void {
    if (this.stopping) throw new RequestError("UNAVAILABLE", "endpoint is shutting down");
    if (!this.actor.getSnapshot().matches("serving"))
      throw new RequestError("UNAVAILABLE", "endpoint is starting");
  }
}
