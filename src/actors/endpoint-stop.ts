// How the endpoint actor lets go of what it holds: drain (the machine closes every connection and
// peer link), then halt (stop every actor and timer, then the prefix source, the queue and the data
// plane). Apart from endpoint.ts so that the order reads in one place; every halt step runs even
// when an earlier one throws (every-step.ts).
import type { Actor } from "xstate";
import type { Dataplane } from "../dataplane/types.js";
import type { Logger } from "../log.js";
import type { endpointMachine } from "../machines/endpoint.machine.js";
import { everyStep, type Step } from "../util/every-step.js";
import { settle } from "./wait.js";

/** What a started endpoint holds, in the order it is let go of. */
export interface EndpointHoldings {
  actor: Actor<typeof endpointMachine>;
  connections: { stopAll(): void };
  peers: { stopAll(): void };
  expiry: { clear(): void };
  ipam: { stop(releasePrefix?: boolean): Promise<void> | void };
  queue: { close(): Promise<void> | void };
  dataplane: Dataplane;
}

/** Asks the machine to close everything and waits until it is done, or until `timeoutMs` (logged). */
export async function drain(actor: EndpointHoldings["actor"], timeoutMs: number, log: Logger): Promise<void> {
  actor.send({ type: "STOP" });
  await settle(actor, (s) => s.status === "done", Date.now() + timeoutMs).catch((e) =>
    log.warn({ err: e }, "endpoint did not drain in time"),
  );
}

/** Stops every actor and timer, then the prefix source, the queue and the data plane: each, whatever throws. */
export function halt(h: EndpointHoldings, releasePrefix: boolean | undefined, log: Logger): Promise<void> {
  const steps: Step[] = [
    ["actors", () => h.actor.stop()],
    ["connection actors", () => h.connections.stopAll()],
    ["peer actors", () => h.peers.stopAll()],
    ["expiry timers", () => h.expiry.clear()],
    ["prefix source", () => h.ipam.stop(releasePrefix)],
    ["data-plane queue", () => h.queue.close()],
    ["data plane", () => h.dataplane.close()],
  ];
  return everyStep("stopping the endpoint", steps, log);
}
