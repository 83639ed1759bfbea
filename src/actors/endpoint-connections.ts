// The endpoint's supervision of its connection actors: each one is followed by the tracker, a broken
// one has what it held withdrawn, an ended one's id stays its owner's for a while (RecentOwners), and
// a lowered vL3 MTU asks every other committed connection to refresh.
import type { InspectionEvent } from "xstate";
import { State } from "../grpc/gen/networkservice/connection.js";
import type { Logger } from "../log.js";
import { clip } from "../util/quote.js";
import { ConnectionActors } from "./connection-actors.js";
import { type ConnectionEffectsDeps, connectionEffects, withdrawBroken } from "./connection-effects.js";
import type { ConnectionEvents } from "./monitor-events.js";
import type { RecentOwners } from "./recent-owners.js";
import type { ServedLinks } from "./served-links.js";
import type { ActorTracker } from "./tracker.js";

export interface ConnectionSupervisionOptions {
  effects: ConnectionEffectsDeps;
  tracker: ActorTracker;
  /** The links peers dialled to us, indexed here as their actors start and end. */
  served: ServedLinks;
  recent: RecentOwners;
  log: Logger;
  /** An actor ended (its id is free for the endpoint machine's count). */
  ended: (id: string) => void;
  inspect?: (event: InspectionEvent) => void;
}

export function superviseConnections(o: ConnectionSupervisionOptions): ConnectionActors {
  const { effects, tracker, log } = o;
  return new ConnectionActors(connectionEffects(effects), {
    onStart: (ref) => {
      tracker.follow(ref);
      o.served.started(ref);
    },
    onSnapshot: (ref, snapshot) => {
      tracker.observe(ref, snapshot);
      o.served.observe(ref, snapshot);
    },
    onGone: (ref) => {
      tracker.gone(ref);
      o.served.gone(ref);
    },
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
      if (ref) o.recent.remember(id, ref.getSnapshot().context.owner);
      o.ended(id);
    },
    inspect: o.inspect,
  });
}

/**
 * The vL3 MTU went down: as NSM's vl3mtu does, every other committed connection is sent an UPDATE
 * with the new MTU and state REFRESH_REQUESTED, so that its client re-requests and gets it.
 */
export function askRefresh(
  connections: ConnectionActors,
  events: ConnectionEvents,
  log: Logger,
  mtu: number,
  except?: string,
): void {
  log.info({ mtu }, "vL3 MTU lowered; asking connections to refresh");
  for (const ref of connections.values()) {
    const c = ref.getSnapshot().context;
    if (c.id === except || !c.committed || ref.getSnapshot().status !== "active") continue;
    const committed = c.committed;
    events.update({
      ...committed,
      context: { ...committed.context!, MTU: mtu },
      state: State.REFRESH_REQUESTED,
    });
  }
}

/** A child logger per actor, for as long as the actor lives, logging its transitions; made only when debug is on. */
export function logTransitions(tracker: ActorTracker, log: Logger): void {
  const loggers = new Map<string, Logger>();
  tracker.onSignal((s) => {
    if (s.type !== "transition") return;
    if (log.debug()) {
      const child = loggers.get(s.id) ?? log.child({ actor: s.id });
      loggers.set(s.id, child);
      child.debug({ from: s.from, to: s.to }, "state");
    }
    if (s.to === "closed" || s.to === "failed") loggers.delete(s.id);
  });
}
