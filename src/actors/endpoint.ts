// The endpoint actor at run time: the pure endpoint machine given its real effects. It owns the IPAM
// (the address pool of the current prefix), the data-plane queue and the connection events, and is
// what the gRPC servers, the registry watch and the debug server talk to.
import { type Actor, type AnyActorRef, createActor, fromPromise, type InspectionEvent } from "xstate";
import { RequestError } from "../chain/errors.js";
import { checkOwner, type Owner } from "../chain/owner.js";
import type { Config } from "../config/config.js";
import { DataplaneQueue } from "../dataplane/queue.js";
import type { Dataplane } from "../dataplane/types.js";
import { type Connection, State } from "../grpc/gen/networkservice/connection.js";
import { AddressPool } from "../ipam/address-pool.js";
import { parseCidr } from "../ipam/cidr.js";
import type { Logger } from "../log.js";
import type { ConnectionKind } from "../machines/connection.machine.js";
import { connectionActorId, endpointMachine } from "../machines/endpoint.machine.js";
import type { PeerRole } from "../machines/peer.machine.js";
import type { PrefixSource } from "../prefix/types.js";
import { PEER_REQUEST_LABEL } from "../registry/labels.js";
import { KeyedSerial } from "../util/keyed-serial.js";
import { clip } from "../util/quote.js";
import { ConnectionActors } from "./connection-actors.js";
import { type ConnectionEffectsDeps, connectionEffects, withdrawBroken } from "./connection-effects.js";
import { ExpiryTimers } from "./expiry.js";
import type { Vl3Addressing } from "./ip-context.js";
import { ConnectionEvents } from "./monitor-events.js";
import type { ActorView, LifecycleSignal, Observable } from "./observe.js";
import { noPeerLinks, type PeerLinks, peerEffects } from "./peer-effects.js";
import { RecentOwners } from "./recent-owners.js";
import { type EndpointCall, type RequestDeps, serveRequest } from "./requests.js";
import { servedLinks } from "./served-links.js";
import { ActorTracker } from "./tracker.js";
import { buildTree } from "./tree.js";
import { Vl3Mtu } from "./vl3mtu.js";
import { settle, untilDone } from "./wait.js";

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
  private readonly tracker: ActorTracker;
  private readonly actor: Actor<typeof endpointMachine>;
  private readonly connections: ConnectionActors;
  private readonly requests: RequestDeps;
  private readonly recent: RecentOwners;
  /** One request or close at a time per connection id, in arrival order. */
  private readonly serial = new KeyedSerial();
  private readonly expiry = new ExpiryTimers();
  /** The vL3 MTU: the smallest any connection (or peer answer) has shown. */
  readonly mtu = new Vl3Mtu();
  private addresses?: AddressPool;
  private readonly pool;
  private stopping = false;
  private ipamSignalQueued = false;
  private registered = false;
  private resynced = false;
  private unsubscribePrefix?: () => void;

  constructor(private readonly o: EndpointOptions) {
    const { config, log } = o;
    this.pool = parseCidr(config.prefixPool, "NSM_PREFIX_POOL");
    this.tracker = new ActorTracker();
    this.recent = new RecentOwners({ ttlMs: config.maxTokenLifetimeMs });
    this.queue = new DataplaneQueue(o.dataplane, {
      log: log.child({ component: "dataplane" }),
      onSignal: (s) => this.tracker.emit(s),
    });
    const effects: ConnectionEffectsDeps = {
      name: config.name,
      addressing: () => this.addressing(),
      queue: this.queue,
      events: this.events,
      expiry: this.expiry,
      onIpamChange: () => this.signalIpam(),
      onLink: (conn, up) => this.peerLink(conn, up),
      signal: (s) => this.tracker.emit(s),
      dnsConfig: o.dnsConfig,
      mtu: this.mtu,
      mtuLowered: (mtu, except) => this.askRefresh(mtu, except),
    };
    this.connections = new ConnectionActors(connectionEffects(effects), {
      onStart: (ref) => this.tracker.follow(ref),
      onSnapshot: (ref, snapshot) => this.tracker.observe(ref, snapshot),
      onGone: (ref) => this.tracker.gone(ref),
      onEnd: (id, error, ref) => {
        if (error) {
          log.error({ err: error, connection: clip(id) }, "connection actor broke; withdrawing what it held");
          if (ref) {
            withdrawBroken(effects, ref.getSnapshot().context).catch((err) =>
              log.warn(
                { err, connection: clip(id) },
                "could not withdraw a broken connection's data-plane state",
              ),
            );
          }
        }
        if (ref) this.recent.remember(id, ref.getSnapshot().context.owner);
        this.actor.send({ type: "CONNECTION.ENDED", id });
      },
      inspect: o.inspect,
    });
    this.requests = {
      connections: this.connections,
      open: (event) => this.connections.startedBy(event.id, () => this.actor.send(event)),
      release: (id) => this.release(id),
      recent: this.recent,
      log,
    };
    const machine = endpointMachine.provide({
      actions: this.connections.actions(),
      actors: {
        peer: peerEffects({
          links: o.peerLinks ?? noPeerLinks,
          queue: this.queue,
          pool: () => config.prefixPool,
          signal: (s) => this.tracker.emit(s),
          closeServed: (name) => this.closeServedLinks(name),
          random: o.random,
        }),
        start: fromPromise(async () => this.startUp()),
      },
    });
    this.actor = createActor(machine, {
      id: "endpoint",
      input: {
        name: config.name,
        backoff: { initialMs: config.peerBackoffInitialMs, maxMs: config.peerBackoffMaxMs },
      },
      // Only for the Stately inspector: XState builds an inspection event for every step of every actor.
      inspect: o.inspect,
    });
    this.tracker.track(this.actor);
    // A child logger per actor, for as long as the actor lives; made only when debug is on.
    const loggers = new Map<string, Logger>();
    this.tracker.onSignal((s) => {
      if (s.type !== "transition") return;
      if (log.debug()) {
        const child = loggers.get(s.id) ?? log.child({ actor: s.id });
        loggers.set(s.id, child);
        child.debug({ from: s.from, to: s.to }, "state");
      }
      if (s.to === "closed" || s.to === "failed") loggers.delete(s.id);
    });
  }

  get name(): string {
    return this.o.config.name;
  }

  get prefix(): string | undefined {
    return this.addresses?.prefix.toString();
  }

  get selfAddress(): string | undefined {
    return this.addresses?.selfAddress;
  }

  addressing(): Vl3Addressing {
    if (!this.addresses) throw new RequestError("UNAVAILABLE", "prefix pool is initializing");
    return { pool: this.pool, addresses: this.addresses, extraRoutes: this.o.config.extraRoutes };
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
    const prefix = await this.o.prefixSource.start();
    this.usePrefix(prefix);
    await this.queue.resync();
    this.resynced = true;
    // Called from the source's own stream or watch handler: a bad prefix is refused here, never thrown.
    this.unsubscribePrefix = this.o.prefixSource.onChange((next) => {
      if (next === this.prefix) {
        this.useExcluded();
        return;
      }
      const unusable = this.unusable(next);
      if (unusable) {
        const prefix = clip(String(next));
        this.o.log.error(
          { prefix, held: this.prefix, reason: unusable },
          "prefix source gave an unusable prefix; kept the one held",
        );
        this.tracker.emit({
          type: "prefix-refused",
          prefix,
          source: this.o.prefixSource.kind,
          reason: unusable,
        });
        return;
      }
      this.o.log.warn({ from: this.prefix, to: next }, "prefix changed; healing connections");
      this.usePrefix(next);
      this.actor.send({ type: "PREFIX.CHANGED", prefix: next });
    });
    return prefix;
  }

  /** Why `prefix` cannot be this endpoint's, or undefined if it can. */
  private unusable(prefix: string): string | undefined {
    let cidr: ReturnType<typeof parseCidr>;
    try {
      cidr = parseCidr(prefix, "prefix");
    } catch {
      return "not a CIDR";
    }
    return this.pool.containsCidr(cidr) ? undefined : `outside the pool ${this.pool}`;
  }

  private usePrefix(prefix: string): void {
    const cidr = parseCidr(prefix, "prefix");
    if (!this.pool.containsCidr(cidr)) throw new Error(`prefix ${prefix} is outside the pool ${this.pool}`);
    this.addresses = new AddressPool(prefix, this.o.prefixSource.excluded?.() ?? []);
    this.o.log.info({ prefix, address: this.addresses.selfAddress }, "prefix held");
    this.tracker.emit({
      type: "prefix",
      prefix,
      source: this.o.prefixSource.kind,
      address: this.addresses.selfAddress,
    });
    this.signalIpam();
  }

  /**
   * The vL3 MTU went down: as NSM's vl3mtu does, every other committed connection is sent an UPDATE
   * with the new MTU and state REFRESH_REQUESTED, so that its client re-requests and gets it.
   */
  askRefresh(mtu: number, except?: string): void {
    this.o.log.info({ mtu }, "vL3 MTU lowered; asking connections to refresh");
    for (const ref of this.connections.values()) {
      const c = ref.getSnapshot().context;
      if (c.id === except || !c.committed || ref.getSnapshot().status !== "active") continue;
      const committed = c.committed;
      this.events.update({
        ...committed,
        context: { ...committed.context!, MTU: mtu },
        state: State.REFRESH_REQUESTED,
      });
    }
  }

  /** Whether a connection id is served here, and as what. */
  kindOf(id: string): ConnectionKind | undefined {
    return this.connections.get(id)?.getSnapshot().context.kind;
  }

  /** The prefix source's excludes changed: clients holding an address now excluded heal to another. */
  private useExcluded(): void {
    const excluded = this.o.prefixSource.excluded?.() ?? [];
    const moved = this.addresses?.setExcluded(excluded) ?? [];
    this.o.log.info({ excluded, moved: moved.length }, "excluded prefixes changed");
    for (const id of moved) this.connections.get(id)?.send({ type: "PREFIX_CHANGED" });
  }

  /**
   * Serves a Request that the chain has validated and given our path segment. Only the `owner` of an
   * existing connection may refresh it; the check runs in the connection's lane, so racing callers
   * cannot both pass. A request whose caller cancels or whose deadline passes is rolled back.
   */
  request(conn: Connection, call: EndpointCall): Promise<Connection> {
    return this.serial.run(conn.id, async () => {
      this.assertServing();
      return serveRequest(this.requests, conn, call);
    });
  }

  /**
   * Closes a connection; closing one that is not there is not an error. A caller's Close names its
   * `owner`, checked as for a Request; the endpoint's own closes (replaced peer links) pass none.
   */
  close(id: string, deadline: number, owner?: Owner): Promise<void> {
    return this.serial.run(id, async () => {
      const ref = this.connections.running(id);
      if (!ref) return;
      if (owner) checkOwner(ref.getSnapshot().context.owner, owner, id);
      ref.send({ type: "CLOSE" });
      await untilDone(ref, deadline);
    });
  }

  /** A peer NSE of our service appeared in (or changed in) the registry. */
  peerFound(name: string, url: string, role: PeerRole): void {
    this.actor.send({ type: "PEER.FOUND", name, url, role });
    this.tracker.track(this.actor.getSnapshot().context.peers[name]);
    // The peer may have dialled us before we heard of it: its link is already up.
    if (role === "accept" && servedLinks(this.connections.values(), name, { established: true }).length > 0) {
      this.actor.send({ type: "PEER.LINK", name, up: true });
    }
  }

  peerLost(name: string): void {
    this.actor.send({ type: "PEER.LOST", name });
  }

  set registration(registered: boolean) {
    this.registered = registered;
  }

  /** Closes every connection and peer link (withdrawing their state), then releases what it holds. */
  async stop(options: { releasePrefix?: boolean; timeoutMs?: number } = {}): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.unsubscribePrefix?.();
    this.actor.send({ type: "STOP" });
    await settle(this.actor, (s) => s.status === "done", Date.now() + (options.timeoutMs ?? 10_000)).catch(
      (e) => this.o.log.warn({ err: e }, "endpoint did not drain in time"),
    );
    this.actor.stop();
    this.connections.stopAll();
    this.expiry.clear();
    await this.o.prefixSource.stop({ release: options.releasePrefix });
    await this.queue.close();
    await this.o.dataplane.close();
  }

  /** Stops at once, as a crashed process would: nothing is closed, withdrawn or released. */
  async abort(): Promise<void> {
    this.stopping = true;
    this.unsubscribePrefix?.();
    this.actor.stop();
    this.connections.stopAll();
    this.expiry.clear();
    await this.o.prefixSource.stop({ release: false });
    await this.queue.close();
    await this.o.dataplane.close();
  }

  tree(): ActorView {
    return buildTree(this.actor, [...this.connections.values()], this.tracker, {
      name: this.name,
      prefix: this.prefix,
      address: this.selfAddress,
    });
  }

  persistedSnapshot(id: string): unknown {
    if (id === "endpoint") return this.actor.getPersistedSnapshot();
    const ref = this.childRef(id);
    return ref ? ref.getPersistedSnapshot?.() : undefined;
  }

  onSignal(listener: (signal: LifecycleSignal) => void): () => void {
    return this.tracker.onSignal(listener);
  }

  readiness() {
    return { registered: this.registered, prefix: this.addresses !== undefined, dataplane: this.resynced };
  }

  signal(signal: LifecycleSignal): void {
    this.tracker.emit(signal);
  }

  private childRef(id: string): AnyActorRef | undefined {
    const connection = id.startsWith(connectionActorId("")) ? id.slice(connectionActorId("").length) : "";
    if (connection) return this.connections.get(connection);
    return (this.actor.getSnapshot().children as Record<string, AnyActorRef | undefined>)[id];
  }

  private assertServing(): void {
    if (this.stopping) throw new RequestError("UNAVAILABLE", "endpoint is shutting down");
    if (!this.actor.getSnapshot().matches("serving"))
      throw new RequestError("UNAVAILABLE", "endpoint is starting");
  }

  private peerLink(conn: Connection, up: boolean): void {
    const name = conn.labels[PEER_REQUEST_LABEL];
    if (!name) return;
    const others = servedLinks(this.connections.values(), name, { established: up }).filter(
      (id) => id !== conn.id,
    );
    if (up) {
      // The peer's new link replaces any older one (it restarted): close those, routes and all.
      for (const id of others) {
        void this.close(id, Date.now() + 10_000).catch((err) =>
          this.o.log.warn({ err, connection: id, peer: name }, "could not close a replaced peer link"),
        );
      }
    } else if (others.length > 0) {
      return; // an older link went; the peer's current one is still up
    }
    this.actor.send({ type: "PEER.LINK", name, up, reason: up ? undefined : "peer link closed" });
  }

  private async closeServedLinks(peer: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    const ids = servedLinks(this.connections.values(), peer);
    await Promise.all(ids.map((id) => this.close(id, deadline)));
  }

  /** Frees a connection's address (a rollback that restores the one its caller last received). */
  private release(id: string): void {
    if (this.addresses?.release(id)) this.signalIpam();
  }

  /** IPAM usage (for metrics): once per event-loop turn at most, however many addresses changed in it. */
  private signalIpam(): void {
    if (this.ipamSignalQueued) return;
    this.ipamSignalQueued = true;
    setImmediate(() => {
      this.ipamSignalQueued = false;
      if (!this.addresses) return;
      const capacity = Number(this.addresses.capacity);
      this.tracker.emit({ type: "ipam", prefix: this.prefix!, used: this.addresses.used, capacity });
    });
  }
}
