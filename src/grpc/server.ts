// One grpc-js server for the endpoint: NetworkService, MonitorConnection and Health, bound to every
// NSM_LISTEN_ON URL (unix sockets and/or TCP).
import { mkdirSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import * as grpc from "@grpc/grpc-js";
import type { ConnectionEvents } from "../actors/monitor-events.js";
import type { NetworkServiceHandler } from "../chain/types.js";
import { type GrpcUrl, grpcTarget } from "../config/parse.js";
import type { Logger } from "../log.js";
import { bindServer } from "../util/grpc.js";
import { HealthService } from "./gen/grpc/health/v1/health.js";
import { MonitorConnectionService } from "./gen/networkservice/connection.js";
import { NetworkServiceService } from "./gen/networkservice/networkservice.js";
import { HealthStatus } from "./health.js";
import { monitorServer } from "./monitor.js";
import { networkServiceServer } from "./networkservice.js";

export interface EndpointServer {
  /** The URLs actually bound (TCP port 0 resolved), as tcp://host:port or unix:///path. */
  urls: string[];
  health: HealthStatus;
  /** Graceful by default (in-flight calls get a moment); `force` cuts every call and stream at once. */
  close(options?: { force?: boolean }): Promise<void>;
}

/** Binds a grpc-js server to each URL (bindServer retries a just-released address); a stale unix
 * socket file is replaced. Returns the bound URLs, TCP port 0 resolved. */
export async function bindAll(server: grpc.Server, listenOn: GrpcUrl[]): Promise<string[]> {
  const urls: string[] = [];
  for (const url of listenOn) {
    if (url.kind === "unix") {
      mkdirSync(dirname(url.path), { recursive: true });
      rmSync(url.path, { force: true });
    }
    const bound = await bindServer(server, grpcTarget(url));
    urls.push(url.kind === "unix" ? `unix://${url.path}` : `tcp://${bound}`);
  }
  return urls;
}

export function shutdown(server: grpc.Server, graceMs = 2000): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export async function startEndpointServer(o: {
  listenOn: GrpcUrl[];
  handler: NetworkServiceHandler;
  events: ConnectionEvents;
  serviceNames: string[];
  requestTimeoutMs: number;
  log: Logger;
}): Promise<EndpointServer> {
  const server = new grpc.Server();
  const health = new HealthStatus();
  server.addService(NetworkServiceService, networkServiceServer(o.handler, o.log, o.requestTimeoutMs));
  const streams = new Set<{ end(): void }>();
  server.addService(MonitorConnectionService, monitorServer(o.events, streams));
  server.addService(HealthService, health.server());
  for (const name of ["networkservice.NetworkService", "connection.MonitorConnection", ...o.serviceNames]) {
    health.set(name, true);
  }
  const urls = await bindAll(server, o.listenOn);
  o.log.info({ urls }, "NetworkService gRPC server listening");
  return {
    urls,
    health,
    close: async (options = {}) => {
      health.drain();
      // Long-lived streams would hold a graceful shutdown until its grace period: end them.
      for (const stream of streams) stream.end();
      health.endWatches();
      if (options.force) server.forceShutdown();
      else await shutdown(server);
      for (const url of o.listenOn) if (url.kind === "unix") rmSync(url.path, { force: true });
    },
  };
}
