// The endpoint's supervision of its peer actors: registry finds and losses become machine events, and
// the links a peer dials to us (connections served here) tell its actor when the peer is up. A peer's
// new link replaces any older one it left behind when it restarted.
import type { Actor } from "xstate";
import type { Connection } from "../grpc/gen/networkservice/connection.js";
import type { Logger } from "../log.js";
import type { endpointMachine } from "../machines/endpoint.machine.js";
import type { PeerRole } from "../machines/peer.machine.js";
import { PEER_REQUEST_LABEL } from "../registry/labels.js";
import type { ConnectionActors } from "./connection-actors.js";
import { servedLinks } from "./served-links.js";
import type { ActorTracker } from "./tracker.js";

export interface PeerSupervisionDeps {
  /** The endpoint actor (made after this, hence a function). */
  actor: () => Actor<typeof endpointMachine>;
  connections: ConnectionActors;
  tracker: ActorTracker;
  /** Closes a connection served here, as the endpoint's own close (no owner check). */
  close: (id: string, deadline: number) => Promise<void>;
  log: Logger;
}

export class PeerSupervision {
  constructor(private readonly d: PeerSupervisionDeps) {}

  /** A peer NSE of our service appeared in (or changed in) the registry. */
  found(name: string, url: string, role: PeerRole): void {
    const actor = this.d.actor();
    actor.send({ type: "PEER.FOUND", name, url, role });
    this.d.tracker.track(actor.getSnapshot().context.peers[name]);
    // The peer may have dialled us before we heard of it: its link is already up.
    if (
      role === "accept" &&
      servedLinks(this.d.connections.values(), name, { established: true }).length > 0
    ) {
      actor.send({ type: "PEER.LINK", name, up: true });
    }
  }

  lost(name: string): void {
    this.d.actor().send({ type: "PEER.LOST", name });
  }

  /** A connection served here came up or went down; if it is a peer's link, its peer actor hears. */
  link(conn: Connection, up: boolean): void {
    const name = conn.labels[PEER_REQUEST_LABEL];
    if (!name) return;
    const others = servedLinks(this.d.connections.values(), name, { established: up }).filter(
      (id) => id !== conn.id,
    );
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
    this.d.actor().send({ type: "PEER.LINK", name, up, reason: up ? undefined : "peer link closed" });
  }

  /** Closes every link the peer dialled to us (its actor is going away). */
  async closeServed(peer: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    const ids = servedLinks(this.d.connections.values(), peer);
    await Promise.all(ids.map((id) => this.d.close(id, deadline)));
  }
}
