// The sandbox nsmgr proxy's registry side (NSM's interdomainbypass): endpoint entries pass on to the
// registry proxy with their URL swapped for ours, the real one remembered in the bypass, so that a
// Request for that endpoint can go straight to it (nsmgr-proxy-connections.ts); service calls pass on.
import type {
  NetworkServiceEndpointRegistryServer,
  NetworkServiceRegistryServer,
} from "../grpc/gen/registry/registry.js";
import type { PathSecurity } from "../security/path-security.js";
import {
  forwardingEndpointServer,
  forwardingServiceServer,
  type RegistryClients,
} from "./registry-forward.js";

export interface ProxyRegistryOptions {
  /** This domain's registry proxy: where every registry call goes on. */
  registryProxy: () => string;
  /** The nsmgr proxy's own URL as bound: what the entries it forwards name. */
  url: () => string;
  /** Endpoint name to its real URL: the entries registered or found through us (a restart clears it). */
  bypass: Map<string, string>;
  clients: RegistryClients;
  pathTokens?: PathSecurity;
}

export function proxyRegistry(o: ProxyRegistryOptions): {
  endpoints: NetworkServiceEndpointRegistryServer;
  services: NetworkServiceRegistryServer;
} {
  const { bypass } = o;
  const endpoints = forwardingEndpointServer(
    {
      register: async (entry) => {
        bypass.set(entry.name, entry.url);
        return {
          target: o.registryProxy(),
          request: { ...entry, url: o.url() },
          response: (r) => ({ ...r, url: entry.url }),
        };
      },
      find: async (query) => ({
        target: o.registryProxy(),
        request: query,
        response: (r) => {
          const e = r.networkServiceEndpoint;
          if (!e) return r;
          // A local registration wins (LoadOrStore); our own URL is never a way on (a restart forgot it).
          if (!r.deleted && e.url !== o.url() && !bypass.has(e.name)) bypass.set(e.name, e.url);
          return { ...r, networkServiceEndpoint: { ...e, url: o.url() } };
        },
      }),
      unregister: async (entry) => {
        bypass.delete(entry.name);
        return { target: o.registryProxy(), request: { ...entry, url: o.url() } };
      },
    },
    o.clients,
    o.pathTokens,
  );
  const pass = async <T>(request: T) => ({ target: o.registryProxy(), request });
  const services = forwardingServiceServer(
    { register: pass, find: pass, unregister: pass },
    o.clients,
    o.pathTokens,
  );
  return { endpoints, services };
}
