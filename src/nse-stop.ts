// How a running vl3-nse lets go of what it holds: stop (gracefully: leave the registry, drain, close
// every connection, release what it took) or kill (as a crash would: no Close, no unregister). Roughly
// the reverse of start-up (nse.ts); every step runs even when an earlier one throws (every-step.ts).
import type { Endpoint } from "./actors/endpoint.js";
import type { Config } from "./config/config.js";
import type { Vl3Dns } from "./dns/vl3.js";
import type { EndpointServer } from "./grpc/server.js";
import type { Logger } from "./log.js";
import type { Mesh } from "./mesh.js";
import { everyStep, type Step } from "./util/every-step.js";

/** What a started vl3-nse holds, as nse.ts started it. */
export interface Held {
  config: Config;
  log: Logger;
  server: EndpointServer;
  endpoint: Endpoint;
  mesh?: Mesh;
  peerLinks?: { dispose(): void };
  offers: { withdraw(): void };
  dns?: Vl3Dns;
  detachDns?: () => void;
  listeners: { close(): Promise<void> };
  pathSecurity?: { dispose(): void };
  transportSecurity?: { close(): void };
  observers: Array<(() => void) | undefined>;
  tracing?: { shutdown(): Promise<void> };
}

export function stopHeld(h: Held, options: { releasePrefix?: boolean } = {}): Promise<void> {
  const steps: Step[] = [
    ["health", () => h.server.health.drain()],
    // Leave the registry first so that nobody dials us while we drain.
    ["mesh", () => h.mesh?.stop({ unregister: h.config.unregisterItself })],
    ["endpoint", () => h.endpoint.stop({ releasePrefix: options.releasePrefix })],
    ["peer links", () => h.peerLinks?.dispose()],
    ["descriptor offers", () => h.offers.withdraw()],
    ["gRPC server", () => h.server.close()],
    ["DNS", () => h.dns?.stop()],
    ["DNS watch", () => h.detachDns?.()],
    ["debug and health listeners", () => h.listeners.close()],
    ["path security", () => h.pathSecurity?.dispose()],
    ["transport security", () => h.transportSecurity?.close()],
    ...h.observers.map((detach): Step => ["observer", () => detach?.()]),
    ["tracing", () => h.tracing?.shutdown()],
  ];
  return everyStep("stopping", steps, h.log);
}

/** Dies without goodbyes: what peers and clients must heal from. */
export function killHeld(h: Held): Promise<void> {
  const steps: Step[] = [
    ["mesh", () => h.mesh?.stop({ unregister: false })],
    ["gRPC server", () => h.server.close({ force: true })],
    ["endpoint", () => h.endpoint.abort()],
    ["peer links", () => h.peerLinks?.dispose()],
    ["DNS", () => h.dns?.stop()],
    ["descriptor offers", () => h.offers.withdraw()],
    ["debug and health listeners", () => h.listeners.close()],
    ["path security", () => h.pathSecurity?.dispose()],
    ["tracing", () => h.tracing?.shutdown()],
    ["transport security", () => h.transportSecurity?.close()],
  ];
  return everyStep("killing", steps, h.log);
}
