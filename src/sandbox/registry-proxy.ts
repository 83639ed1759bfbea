// The sandbox's registry proxy, NSM's cmd-registry-proxy-dns: an `@domain` call is resolved through
// DNS (registry.nsm-system.<domain>), sent there with every `@…` stripped, and its answers get `@domain`
// back, Find results the remote nsmgr proxy's URL when that resolves (not for a floating domain).
// It is also the domain's border: other domains' plain calls reach the registry through it.
import * as grpc from "@grpc/grpc-js";
import {
  type NetworkService,
  type NetworkServiceEndpoint,
  NetworkServiceEndpointRegistryService,
  NetworkServiceRegistryService,
} from "../grpc/gen/registry/registry.js";
import { type Services, serveRestartable } from "../grpc/restartable.js";
import { defaultTransport, type Transport } from "../grpc/transport.js";
import { type Logger, silentLogger } from "../log.js";
import { domain, isInterdomain, join, target } from "../registry/interdomain.js";
import {
  DomainResolveError,
  type DomainResolver,
  NSMGR_PROXY_SERVICE,
  REGISTRY_SERVICE,
  resolveDomain,
} from "../registry/resolve.js";
import type { PathSecurity } from "../security/path-security.js";
import { statusError } from "../util/grpc.js";
import { forwardingEndpointServer, forwardingServiceServer, RegistryClients } from "./registry-forward.js";

export interface RegistryProxyOptions {
  name: string;
  listenOn: string;
  resolver: DomainResolver;
  /** This domain's registry, for the plain calls other domains send in. */
  registry: () => string;
  log?: Logger;
  /** How it is bound and dials (credentials); default plain text. */
  transport?: Transport;
  /** Path tokens: a hop of every Register and Unregister's path, its own token on every call it sends. */
  pathTokens?: PathSecurity;
}

export interface ProxyServer {
  readonly url: string;
  /** Stops serving (its streams end; its address stays reserved for `start`). */
  stop(): Promise<void>;
  /** Serves again on the same address. */
  start(): Promise<void>;
}

/** The domain of an entry: from its name first, then its service names (NSM's order). */
export function domainOfEntry(nse: NetworkServiceEndpoint | undefined): string {
  if (!nse) return "";
  const first = [nse.name, ...nse.networkServiceNames].find(isInterdomain);
  return first === undefined ? "" : domain(first);
}

const mapNames = (nse: NetworkServiceEndpoint, f: (n: string) => string): NetworkServiceEndpoint => ({
  ...nse,
  name: nse.name && f(nse.name),
  networkServiceNames: nse.networkServiceNames.map(f),
  networkServiceLabels: Object.fromEntries(
    Object.entries(nse.networkServiceLabels).map(([k, v]) => [f(k), v]),
  ),
});

const qualifyIn = (d: string) => (n: string) => join(target(n), d);

export async function startRegistryProxy(o: RegistryProxyOptions): Promise<ProxyServer> {
  const log = (o.log ?? silentLogger()).child({ registryProxy: o.name });
  const transport = o.transport ?? defaultTransport;
  const tokens = o.pathTokens;
  const clients = new RegistryClients(tokens ? transport.withPathTokens(tokens.generate) : transport);
  const resolve = (service: string, d: string) =>
    resolveDomain(o.resolver, service, d).catch((err: unknown) => {
      if (!(err instanceof DomainResolveError)) throw err;
      const code = err.problem === "invalid" ? grpc.status.INVALID_ARGUMENT : grpc.status.NOT_FOUND;
      throw statusError(code, err.message);
    });
  const inbound = async <T>(request: T) => ({ target: o.registry(), request });

  const nse = forwardingEndpointServer(
    {
      register: async (entry) => {
        const d = domainOfEntry(entry);
        if (!d) return inbound(entry);
        return {
          target: await resolve(REGISTRY_SERVICE, d),
          request: mapNames(entry, target),
          response: (r) => mapNames(r, qualifyIn(d)),
        };
      },
      find: async (query) => {
        const d = domainOfEntry(query.networkServiceEndpoint);
        if (!d) return inbound(query);
        const registry = await resolve(REGISTRY_SERVICE, d);
        // A floating domain runs no nsmgr proxy: its entries keep the URL they registered with.
        const nsmgrProxy = await resolve(NSMGR_PROXY_SERVICE, d).catch((err: Error) => {
          log.debug({ domain: d, err: err.message }, "no nsmgr proxy in domain; URLs kept");
          return undefined;
        });
        return {
          target: registry,
          request: { ...query, networkServiceEndpoint: mapNames(query.networkServiceEndpoint!, target) },
          response: (r) => {
            if (!r.networkServiceEndpoint) return r;
            const out = mapNames(r.networkServiceEndpoint, qualifyIn(d));
            return { ...r, networkServiceEndpoint: nsmgrProxy ? { ...out, url: nsmgrProxy } : out };
          },
        };
      },
      unregister: async (entry) => {
        const d = domainOfEntry(entry);
        if (!d) return inbound(entry);
        return { target: await resolve(REGISTRY_SERVICE, d), request: mapNames(entry, target) };
      },
    },
    clients,
    tokens,
  );

  const nsRoute = async <T extends NetworkService>(ns: T) => {
    if (!isInterdomain(ns.name)) return inbound(ns);
    const d = domain(ns.name);
    return {
      target: await resolve(REGISTRY_SERVICE, d),
      request: { ...ns, name: target(ns.name) },
      response: (r: T) => ({ ...r, name: join(target(r.name), d) }),
    };
  };
  const ns = forwardingServiceServer(
    {
      register: nsRoute,
      unregister: async (s) => {
        const r = await nsRoute(s);
        return { target: r.target, request: r.request };
      },
      find: async (q) => {
        const name = q.networkService?.name ?? "";
        if (!isInterdomain(name)) return inbound(q);
        const d = domain(name);
        return {
          target: await resolve(REGISTRY_SERVICE, d),
          request: { ...q, networkService: { ...q.networkService!, name: target(name) } },
          response: (r) =>
            r.networkService
              ? { ...r, networkService: { ...r.networkService, name: join(r.networkService.name, d) } }
              : r,
        };
      },
    },
    clients,
    tokens,
  );

  return serveRestartable(
    transport,
    o.listenOn,
    [
      [NetworkServiceEndpointRegistryService, nse],
      [NetworkServiceRegistryService, ns],
    ] as Services,
    { announce: { log, name: "registry proxy" }, release: () => clients.closeAll() },
  );
}
