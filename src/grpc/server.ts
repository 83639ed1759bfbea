// One grpc-js server for the endpoint: NetworkService, MonitorConnection and Health, bound to every
// NSM_LISTEN_ON URL (unix sockets and/or TCP).
import { mkdirSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import type * as grpc from "@grpc/grpc-js";
import type { ConnectionEvents } from "../actors/monitor-events.js";
import { LIMITS } from "../chain/limits.js";
import type { NetworkServiceHandler } from "../chain/types.js";
import type { Logger } from "../log.js";
import { tolerantNetworkService } from "./decode.js";
import { HealthService } from "./gen/grpc/health/v1/health.js";
import { MonitorConnectionService } from "./gen/networkservice/connection.js";
import { HealthStatus } from "./health.js";
import { monitorServer } from "./monitor.js";
import { networkServiceServer } from "./networkservice.js";
import { defaultTransport, type Transport } from "./transport.js";
import { formatGrpcUrl, type GrpcUrl } from "./url.js";

export interface EndpointServer {
  /** The URLs actually bound (TCP port 0 resolved), as tcp://host:port or unix:///path. */
  urls: string[];
  health: HealthStatus;
  /** True from binding until close() starts: what liveness asks. */
  readonly listening: boolean;
  /** Graceful by default (in-flight calls get a moment); `force` cuts every call and stream at once. */
  close(options?: { force?: boolean }): Promise<void>;
}

/** Binds a server to each URL through the transport; a stale unix socket file is replaced. Returns
 * the bound URLs (TCP port 0 resolved) in their canonical form. If one URL cannot be bound, those
 * bound before it are released (socket files removed) before the error is passed on. */
export async function bindAll(
  transport: Transport,
  server: grpc.Server,
  listenOn: GrpcUrl[],
): Promise<string[]> {
  const bound: GrpcUrl[] = [];
  try {
    for (const url of listenOn) {
      if (url.kind === "unix") {
        mkdirSync(dirname(url.path), { recursive: true });
        rmSync(url.path, { force: true });
      }
      bound.push(await transport.bind(server, url));
    }
  } catch (err) {
    for (const url of bound) {
      transport.unbind(server, url);
      if (url.kind === "unix") rmSync(url.path, { force: true });
    }
    throw err;
  }
  return bound.map(formatGrpcUrl);
}

export async function startEndpointServer(o: {
  listenOn: GrpcUrl[];
  handler: NetworkServiceHandler;
  events: ConnectionEvents;
  serviceNames: string[];
  requestTimeoutMs: number;
  log: Logger;
  transport?: Transport;
  /** Path tokens on: monitor callers see only connections they took part in. */
  pathTokens?: boolean;
}): Promise<EndpointServer> {
  const transport = o.transport ?? defaultTransport;
  // The documented message limit (src/chain/limits.ts): larger is RESOURCE_EXHAUSTED before decoding.
  const server = transport.server({ "grpc.max_receive_message_length": LIMITS.messageBytes });
  const health = new HealthStatus();
  server.addService(tolerantNetworkService, networkServiceServer(o.handler, o.log, o.requestTimeoutMs));
  const streams = new Set<{ end(): void }>();
  server.addService(MonitorConnectionService, monitorServer(o.events, streams, { pathTokens: o.pathTokens }));
  server.addService(HealthService, health.server());
  for (const name of ["networkservice.NetworkService", "connection.MonitorConnection", ...o.serviceNames]) {
    health.set(name, true);
  }
  const urls = await bindAll(transport, server, o.listenOn).catch(async (err) => {
    await transport.shutdown(server, { force: true });
    throw err;
  });
  let listening = true;
  o.log.info({ urls }, "NetworkService gRPC server listening");
  return {
    urls,
    health,
    get listening() {
      return listening;
    },
    close: async (options = {}) => {
      listening = false;
      health.drain();
      // Long-lived streams would hold a graceful shutdown until its grace period: end them.
      for (const stream of streams) stream.end();
      health.endWatches();
      await transport.shutdown(server, { force: options.force });
      for (const url of o.listenOn) if (url.kind === "unix") rmSync(url.path, { force: true });
    },
  };
}
