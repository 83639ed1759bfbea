// The HTTP listeners of one vl3-nse: the debug server (NSM_DEBUG_LISTEN_ON) and the health listener
// for the probes and Prometheus (NSM_HEALTH_LISTEN_ON), sharing one Probes and one set of metrics. Started before the endpoint so that
// the probes answer while it waits for its prefix; either both start or neither is left open.
import type { Observable } from "../actors/observe.js";
import type { Config } from "../config/config.js";
import { formatGrpcUrl } from "../grpc/url.js";
import type { Logger } from "../log.js";
import type { SecurityStatus } from "../security/setup.js";
import { startHealthServer } from "./health-server.js";
import { createMetrics } from "./metrics.js";
import { Probes } from "./probes.js";
import { startDebugServer } from "./server.js";

export interface Listeners {
  debugUrl?: string;
  healthUrl?: string;
  close(): Promise<void>;
}

/** What a readiness part that is missing is waiting for, in this configuration. */
export function waitingFor(config: Config): (part: string) => string | undefined {
  return (part) => {
    if (part === "prefix") {
      if (config.prefixSource === "server" && config.prefixServerUrl)
        return `the prefix server at ${formatGrpcUrl(config.prefixServerUrl)}`;
      if (config.prefixSource === "kubernetes") return `a prefix Lease in namespace ${config.kubeNamespace}`;
    }
    if (part === "registered") {
      if (config.registryUrl) return `the registry at ${formatGrpcUrl(config.registryUrl)}`;
      if (config.connectTo) return `the registry through the nsmgr at ${formatGrpcUrl(config.connectTo)}`;
    }
    if (part === "dataplane" && config.dataplane === "vpp")
      return `the vpp-agent at ${formatGrpcUrl(config.vppAgentUrl)}`;
    return undefined;
  };
}

export async function startListeners(o: {
  config: Config;
  observable: Observable;
  /** Whether the gRPC servers listen (undefined before they are bound). */
  listening(): boolean | undefined;
  /** Transport security for /readyz (src/security/setup.ts). */
  security?: () => SecurityStatus;
  log: Logger;
}): Promise<Listeners> {
  const { config, observable, log } = o;
  const probes = new Probes({
    readiness: () => observable.readiness(),
    waitingFor: waitingFor(config),
    listening: o.listening,
    security: o.security,
  });
  // One set of metrics for both listeners (each would otherwise count every signal again).
  const metrics =
    config.debugListenOn?.kind === "tcp" || config.healthListenOn?.kind === "tcp"
      ? createMetrics(observable)
      : undefined;
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const c of closers.splice(0).reverse()) await c();
    metrics?.close();
    probes.close();
  };
  try {
    const debug =
      config.debugListenOn?.kind === "tcp"
        ? await startDebugServer({
            host: config.debugListenOn.host,
            port: config.debugListenOn.port,
            observable,
            probes,
            metrics,
            log,
          })
        : undefined;
    if (debug) closers.push(debug.close);
    const health =
      config.healthListenOn?.kind === "tcp"
        ? await startHealthServer({
            host: config.healthListenOn.host,
            port: config.healthListenOn.port,
            probes,
            metrics,
            log,
          })
        : undefined;
    if (health) closers.push(health.close);
    return { debugUrl: debug?.url, healthUrl: health?.url, close };
  } catch (err) {
    await close();
    throw err;
  }
}
