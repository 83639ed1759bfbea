// The endpoint machine given its real effects: connection actors started and told through
// ConnectionActors, peer actors with their dial-side links (peer-effects.ts), and the start-up work
// the endpoint runs (prefix, data-plane resync). Creates the one endpoint actor, not yet started.
import { type Actor, createActor, fromPromise, type InspectionEvent } from "xstate";
import type { Config } from "../config/config.js";
import { endpointMachine } from "../machines/endpoint.machine.js";
import type { ConnectionActors } from "./connection-actors.js";
import { noPeerLinks, type PeerEffectsDeps, type PeerLinks, peerEffects } from "./peer-effects.js";

export interface EndpointEffectsDeps extends Omit<PeerEffectsDeps, "links" | "pool"> {
  config: Pick<Config, "name" | "prefixPool" | "peerBackoffInitialMs" | "peerBackoffMaxMs">;
  connections: ConnectionActors;
  /** How this endpoint dials its peers (none without an nsmgr). */
  peerLinks?: PeerLinks;
  /** Claims the prefix and resyncs the data plane; resolves to the prefix held. */
  startUp: () => Promise<string>;
  /** Forwards inspection events (the Stately inspector). */
  inspect?: (event: InspectionEvent) => void;
}

export function createEndpointActor(d: EndpointEffectsDeps): Actor<typeof endpointMachine> {
  const machine = endpointMachine.provide({
    actions: d.connections.actions(),
    actors: {
      peer: peerEffects({ ...d, links: d.peerLinks ?? noPeerLinks, pool: () => d.config.prefixPool }),
      start: fromPromise(async () => d.startUp()),
    },
  });
  return createActor(machine, {
    id: "endpoint",
    input: {
      name: d.config.name,
      backoff: { initialMs: d.config.peerBackoffInitialMs, maxMs: d.config.peerBackoffMaxMs },
    },
    // Only for the Stately inspector: XState builds an inspection event for every step of every actor.
    inspect: d.inspect,
  });
}
