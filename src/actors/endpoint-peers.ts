// The endpoint's supervision of its peer actors: registry finds and losses become machine events, and
// the links a peer dials to us (connections served here) tell its actor when the peer is up. A peer's
// new link replaces any older one it left behind when it restarted. The actors themselves are held
// by PeerActors, which carries out what the endpoint machine asks for once each event is through.
import type { Actor, InspectionEvent } from "xstate";
import type { Config } from "../config/config.js";
import type { Connection } from "../grpc/gen/networkservice/connection.js";
import type { Logger } from "../log.js";
import type { EndpointEvent, endpointMachine } from "../machines/endpoint.machine.js";
import type { PeerRole } from "../machines/peer.machine.js";
import { PEER_REQUEST_LABEL } from "../registry/labels.js";
import { PeerActors } from "./peer-actors.js";
import { noPeerLinks, type PeerEffectsDeps, type PeerLinks, peerEffects } from "./peer-effects.js";
import { ServedLinks } from "./served-links.js";
import type { ActorTracker } from "./tracker.js";

export interface PeerSupervisionDeps extends Pick<PeerEffectsDeps, "queue" | "signal" | "random"> {
  config: Pick<Config, "prefixPool">;
  /** How this endpoint dials its peers (none without an nsmgr). */
  peerLinks?: PeerLinks;
  /** The endpoint actor (made after this, hence a function). */
  actor: () => Actor<typeof endpointMachine>;
  tracker: ActorTracker;
  /** Closes a connection served here, as the endpoint's own close (no owner check). */
  close: (id: string, deadline: number) => Promise<void>;
  log: Logger;
  /** Forwards inspection events (the Stately inspector). */
  inspect?: (event: InspectionEvent) => void;
}

export class PeerSupervision {
  /** The peer actors, by peer name; the endpoint machine's peer actions are theirs. */
  readonly actors: PeerActors;
  /** The links peers dialled to us, by peer mark: kept by the connection actors' supervision. */
  readonly served = new ServedLinks();

  constructor(private readonly d: PeerSupervisionDeps) {
    const { tracker, log } = d;
    const logic = peerEffects({
      ...d,
      links: d.peerLinks ?? noPeerLinks,
      pool: () => d.config.prefixPool,
      closeServed: (name) => this.closeServed(name),
    });
    this.actors = new PeerActors(logic, {
      onStart: (ref) => tracker.follow(ref),
      onSnapshot: (ref, snapshot) => tracker.observe(ref, snapshot),
      onGone: (ref) => tracker.gone(ref),
      onEnd: (name, error) => {
        if (error) log.error({ err: error, peer: name }, "peer actor broke");
        d.actor().send({ type: "PEER.ENDED", name });
      },
      inspect: d.inspect,
    });
  }

  /** A peer NSE of our service appeared in (or changed in) the registry. */
  found(name: string, url: string, role: PeerRole): void {
    // The peer may have dialled us before we heard of it: its link is already up.
    const linked = role === "accept" && this.served.of(name, { established: true }).length > 0;
    this.send(
      { type: "PEER.FOUND", name, url, role },
      linked ? { type: "PEER.LINK", name, up: true } : undefined,
    );
  }

  lost(name: string): void {
    this.send({ type: "PEER.LOST", name });
  }

  /** A connection served here came up or went down; if it is a peer's link, its peer actor hears. */
  link(conn: Connection, up: boolean): void {
    const name = conn.labels[PEER_REQUEST_LABEL];
    if (!name) return;
    const others = this.served.of(name, { established: up }).filter((id) => id !== conn.id);
    if (up) {
      // The peer's new link replaces any older one (it restarted): close those, routes and all.
      for (const id of others) {
        void this.d
          .close(id, Date.now() + 10_000)
          .catch((err) =>
            this.d.log.warn({ err, connection: id, peer: name }, "could not close a replaced peer link"),
          );
      }
    } else if (others.length > 0) {
      return; // an older link went; the peer's current one is still up
    }
    this.send({ type: "PEER.LINK", name, up, reason: up ? undefined : "peer link closed" });
  }

  /** Closes every link the peer dialled to us (its actor is going away). */
  async closeServed(peer: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    const ids = this.served.of(peer);
    await Promise.all(ids.map((id) => this.d.close(id, deadline)));
  }

  /** Sends the endpoint machine `events`; what it asks of its peer actors is done before this returns. */
  private send(...events: Array<EndpointEvent | undefined>): void {
    const actor = this.d.actor();
    this.actors.after(() => {
      for (const event of events) if (event) actor.send(event);
    });
  }
}
