// An in-memory NSM v1 registry (NetworkServiceRegistry and NetworkServiceEndpointRegistry) on a
// real grpc-js server, for tests, the demo and the sandbox: it behaves like NSM's
// cmd-registry-memory, including the loss of every entry when its pod restarts.
import { setTimeout as sleep } from "node:timers/promises";
import * as grpc from "@grpc/grpc-js";
import {
  NetworkService,
  NetworkServiceEndpoint,
  type NetworkServiceEndpointRegistryServer,
  NetworkServiceEndpointRegistryService,
  type NetworkServiceRegistryServer,
  NetworkServiceRegistryService,
} from "../grpc/gen/registry/registry.js";
import { restartableServer, type Services } from "../grpc/restartable.js";
import { shareEncoding } from "../grpc/serialize.js";
import { defaultTransport, type Transport } from "../grpc/transport.js";
import { type Logger, silentLogger } from "../log.js";
import { matchEndpoint, matchService } from "../registry/match.js";
import { WatchableMap } from "../registry/watchable-map.js";
import type { PathSecurity } from "../security/path-security.js";
import { statusError } from "../util/grpc.js";
import { interdomainSwitch, RegistryClients } from "./registry-forward.js";
import { guardRegistry, guardServiceRegistry } from "./registry-guard.js";

export interface RegistryOptions {
  /** A grpc-js target to listen on: "127.0.0.1:0" (default, any free port) or "unix:///path". */
  listenOn?: string;
  /** Longest expiration granted; a longer or missing one is clamped to it (NSM: 1 min). */
  maxExpiryMs?: number;
  /** How often expired endpoints are removed (NSM_EXPIRE_PERIOD: 1 s). */
  sweepMs?: number;
  log?: Logger;
  /** How the server is bound (credentials); default plain text. */
  transport?: Transport;
  /** Path tokens: NSM's registry checks on Register and Unregister (client_allowed among them). */
  pathTokens?: PathSecurity;
  /** NSM's proxy registry URL (the domain's nsmgr proxy): `@` names go there, not into the store. */
  proxyRegistryUrl?: () => string;
}

/** Calls served since start (kept across restarts), for tests that count refreshes. */
export interface RegistryCalls {
  nseRegister: number;
  nseFind: number;
  nseUnregister: number;
  nsRegister: number;
  nsFind: number;
  nsUnregister: number;
}

export interface SandboxRegistry {
  /** The address to dial ("127.0.0.1:port" or "unix:///path"). */
  readonly url: string;
  readonly calls: RegistryCalls;
  stop(): Promise<void>;
  /** Stops and starts again on the same address with every entry lost, like a registry pod restart. */
  restart(options?: { downMs?: number }): Promise<void>;
  /** Registered endpoints, expired ones not yet swept included. */
  entries(): NetworkServiceEndpoint[];
  services(): NetworkService[];
}

/**
 * One response object per stored entry and kind (listed or watched, deleted), made on first need: every
 * Find and watcher is sent the same object, so it is encoded once, not once per watcher (a mesh of N
 * endpoints watching each other: N encodes of each registration). Stored entries are never changed
 * (a put replaces them), so the bytes stay true.
 */
function responsesOf<T extends object, R extends object>(
  make: (item: T, deleted: boolean) => R,
): (item: T, deleted: boolean) => R {
  const made = new WeakMap<T, { live?: R; deleted?: R }>();
  return (item, deleted) => {
    const kinds = made.get(item) ?? {};
    const key = deleted ? "deleted" : "live";
    const known = kinds[key];
    if (known) return known;
    const response = shareEncoding(make(item, deleted));
    kinds[key] = response;
    made.set(item, kinds);
    return response;
  };
}

export async function startRegistry(options: RegistryOptions = {}): Promise<SandboxRegistry> {
  const maxExpiryMs = options.maxExpiryMs ?? 60_000;
  const sweepMs = options.sweepMs ?? 1000;
  const log = options.log ?? silentLogger();
  const transport = options.transport ?? defaultTransport;
  const endpoints = new WatchableMap<NetworkServiceEndpoint>();
  const services = new WatchableMap<NetworkService>();
  const calls: RegistryCalls = {
    nseRegister: 0,
    nseFind: 0,
    nseUnregister: 0,
    nsRegister: 0,
    nsFind: 0,
    nsUnregister: 0,
  };
  const nseResponse = responsesOf((nse: NetworkServiceEndpoint, deleted) => ({
    networkServiceEndpoint: nse,
    deleted,
  }));
  const nsResponse = responsesOf((ns: NetworkService, deleted) => ({ networkService: ns, deleted }));
  const live = (nse: NetworkServiceEndpoint) => (nse.expirationTime?.getTime() ?? 0) > Date.now();

  const nseServer: NetworkServiceEndpointRegistryServer = {
    register(call, callback) {
      calls.nseRegister++;
      const nse = call.request;
      if (nse.name === "")
        return callback(statusError(grpc.status.INVALID_ARGUMENT, "name: must not be empty"));
      const now = Date.now();
      const asked = nse.expirationTime?.getTime();
      const expiry = Math.min(asked ?? Number.POSITIVE_INFINITY, now + maxExpiryMs);
      const previous = endpoints.get(nse.name);
      const stored = NetworkServiceEndpoint.fromPartial({
        ...nse,
        expirationTime: new Date(expiry),
        // A refresh keeps the first registration's time; a new or lapsed entry starts afresh.
        initialRegistrationTime:
          previous && live(previous) ? previous.initialRegistrationTime : new Date(now),
      });
      endpoints.put(stored);
      log.debug({ nse: stored.name, expiry: stored.expirationTime }, "endpoint registered");
      callback(null, stored);
    },
    find(call) {
      calls.nseFind++;
      const query = call.request.networkServiceEndpoint;
      for (const nse of endpoints.list((n) => live(n) && matchEndpoint(query, n))) {
        call.write(nseResponse(nse, false));
      }
      if (!call.request.watch) return call.end();
      const unwatch = endpoints.watch({
        matches: (n) => matchEndpoint(query, n),
        send: (n, deleted) => call.write(nseResponse(n, deleted)),
      });
      call.on("cancelled", unwatch);
    },
    unregister(call, callback) {
      calls.nseUnregister++;
      if (endpoints.delete(call.request.name)) log.debug({ nse: call.request.name }, "endpoint unregistered");
      callback(null, {});
    },
  };

  const nsServer: NetworkServiceRegistryServer = {
    register(call, callback) {
      calls.nsRegister++;
      if (call.request.name === "") {
        return callback(statusError(grpc.status.INVALID_ARGUMENT, "name: must not be empty"));
      }
      const stored = NetworkService.fromPartial(call.request);
      services.put(stored);
      callback(null, stored);
    },
    find(call) {
      calls.nsFind++;
      const query = call.request.networkService;
      for (const ns of services.list((s) => matchService(query, s))) {
        call.write(nsResponse(ns, false));
      }
      if (!call.request.watch) return call.end();
      const unwatch = services.watch({
        matches: (s) => matchService(query, s),
        send: (s, deleted) => call.write(nsResponse(s, deleted)),
      });
      call.on("cancelled", unwatch);
    },
    unregister(call, callback) {
      calls.nsUnregister++;
      services.delete(call.request.name);
      callback(null, {});
    },
  };

  let sweeper: NodeJS.Timeout | undefined;

  const sweep = () => {
    for (const nse of endpoints.list((n) => !live(n))) {
      endpoints.delete(nse.name);
      log.debug({ nse: nse.name }, "endpoint expired");
    }
  };

  // With path tokens, what it passes on to the nsmgr proxy carries its own token and the path.
  const proxyClients = new RegistryClients(
    options.pathTokens ? transport.withPathTokens(options.pathTokens.generate) : transport,
  );
  const ownerOf = (name: string) => {
    const entry = endpoints.get(name);
    return entry && live(entry) ? entry.pathIds : undefined;
  };
  const tokens = options.pathTokens;
  const local = {
    nse: tokens ? guardRegistry(nseServer, tokens, ownerOf) : nseServer,
    ns: tokens ? guardServiceRegistry(nsServer, tokens) : nsServer,
  };
  const served = options.proxyRegistryUrl
    ? interdomainSwitch(local, options.proxyRegistryUrl, proxyClients, tokens)
    : local;

  const server = restartableServer(
    transport,
    options.listenOn ?? "127.0.0.1:0",
    [
      [NetworkServiceEndpointRegistryService, served.nse],
      [NetworkServiceRegistryService, served.ns],
    ] as Services,
    { log, name: "registry" },
  );
  const start = async () => {
    await server.start();
    sweeper = setInterval(sweep, sweepMs);
  };

  const shutdown = () => {
    clearInterval(sweeper);
    void server.stop();
  };

  await start();
  return {
    get url() {
      return server.url;
    },
    calls,
    async stop() {
      shutdown();
      proxyClients.closeAll();
    },
    async restart(restartOptions = {}) {
      shutdown();
      endpoints.reset();
      services.reset();
      if (restartOptions.downMs) await sleep(restartOptions.downMs);
      await start();
    },
    entries: () => endpoints.list(),
    services: () => services.list(),
  };
}
