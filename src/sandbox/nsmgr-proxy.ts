// The sandbox's nsmgr proxy, NSM's cmd-nsmgr-proxy: a domain's door for connections and a hop of its
// registry chain. Registry side (nsmgr-proxy-registry.ts): entries pass on to the registry proxy with
// their URL swapped for ours, remembering the real one (interdomainbypass). Data side
// (nsmgr-proxy-connections.ts): a remembered endpoint is reached at that URL, any other found locally.
import { MonitorConnectionService } from "../grpc/gen/networkservice/connection.js";
import { NetworkServiceService } from "../grpc/gen/networkservice/networkservice.js";
import {
  NetworkServiceEndpointRegistryService,
  NetworkServiceRegistryService,
} from "../grpc/gen/registry/registry.js";
import { type Services, serveRestartable } from "../grpc/restartable.js";
import { defaultTransport, type Transport } from "../grpc/transport.js";
import { type Logger, silentLogger } from "../log.js";
import type { PathSecurity } from "../security/path-security.js";
import { EndpointClients } from "./endpoint-clients.js";
import { proxyConnections } from "./nsmgr-proxy-connections.js";
import { proxyRegistry } from "./nsmgr-proxy-registry.js";
import { pathGuard } from "./path-guard.js";
import { RegistryClients } from "./registry-forward.js";
import type { ProxyServer } from "./registry-proxy.js";

export interface NsmgrProxyOptions {
  name: string;
  listenOn: string;
  /** This domain's registry (strip-and-discover) and its registry proxy (where registry calls go). */
  registry: () => string;
  registryProxy: () => string;
  log?: Logger;
  /** How it is bound and dials (credentials); default plain text. */
  transport?: Transport;
  /** Path tokens: checked on every Request and Close, ours sent on every call (needs mTLS). */
  pathTokens?: PathSecurity;
}

export interface NsmgrProxy extends ProxyServer {
  /** Connections passing through now (tests count them). */
  forwarding(): number;
}

export async function startNsmgrProxy(o: NsmgrProxyOptions): Promise<NsmgrProxy> {
  const log = (o.log ?? silentLogger()).child({ nsmgrProxy: o.name });
  let url = o.listenOn;
  // Everything below is the pod's memory: a restart loses it, as NSM's does.
  const bypass = new Map<string, string>();
  const transport = o.transport ?? defaultTransport;
  const guard = pathGuard(o.name, o.pathTokens);
  const clients = new EndpointClients(guard.outgoing(transport));
  const registryClients = new RegistryClients(guard.outgoing(transport));
  const connections = proxyConnections({
    name: o.name,
    registry: o.registry,
    bypass,
    guard,
    clients,
    registryClients,
    pathTokens: o.pathTokens !== undefined,
    log,
  });
  const registry = proxyRegistry({
    registryProxy: o.registryProxy,
    url: () => url,
    bypass,
    clients: registryClients,
    pathTokens: o.pathTokens,
  });

  return serveRestartable(
    transport,
    o.listenOn,
    [
      [NetworkServiceService, connections.impl],
      [MonitorConnectionService, connections.monitor],
      [NetworkServiceEndpointRegistryService, registry.endpoints],
      [NetworkServiceRegistryService, registry.services],
    ] as Services,
    {
      announce: { log, name: "nsmgr proxy" },
      // The bound port: what the registry entries we forward name.
      bound: (bound) => {
        url = bound;
      },
      release: () => {
        connections.release();
        clients.closeAll();
        registryClients.closeAll();
        bypass.clear();
      },
      extra: { forwarding: connections.forwarding },
    },
  );
}
