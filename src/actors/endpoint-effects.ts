// The endpoint machine given its real effects: connection actors started and told through
// ConnectionActors, peer actors through PeerActors (their effects: peer-effects.ts), and the start-up
// work the endpoint runs (prefix, data-plane resync). Creates the one endpoint actor, not yet started.
import { type Actor, createActor, fromPromise, type InspectionEvent } from "xstate";
import type { Config } from "../config/config.js";
import { endpointMachine } from "../machines/endpoint.machine.js";
import type { ConnectionActors } from "./connection-actors.js";
import type { PeerActors } from "./peer-actors.js";

export interface EndpointEffectsDeps {
  config: Pick<Config, "name" | "peerBackoffInitialMs" | "peerBackoffMaxMs">;
  connections: ConnectionActors;
  peers: PeerActors;
  /** Claims the prefix and resyncs the data plane; resolves to the prefix held. */
  startUp: () => Promise<string>;
  /** Forwards inspection events (the Stately inspector). */
  inspect?: (event: InspectionEvent) => void;
}

export function createEndpointActor(d: EndpointEffectsDeps): Actor<typeof endpointMachine> {
  const machine = endpointMachine.provide({
    actions: { ...d.connections.actions(), ...d.peers.actions() },
    actors: { start: fromPromise(async () => d.startUp()) },
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
