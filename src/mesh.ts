// Turns one endpoint into a member of the vL3 mesh: registers it (through the nsmgr or with the
// registry), watches the registry for the service's other vL3 peers and hands each to the endpoint
// actor, which spawns one peer actor per remote NSE.
import type { Endpoint } from "./actors/endpoint.js";
import type { Config } from "./config/config.js";
import { NetworkServiceEndpoint } from "./grpc/gen/registry/registry.js";
import type { Transport } from "./grpc/transport.js";
import type { Logger } from "./log.js";
import {
  dialsPeer,
  endpointRegistryClient,
  isPeerEndpoint,
  type PeerWatch,
  registerEndpoint,
  watchPeers,
} from "./registry/client.js";
import { listEndpoints } from "./registry/list.js";
import type { RegistrationHandle } from "./registry/register.js";

export interface Mesh {
  registration: RegistrationHandle;
  /** Whether `name` is a registered vL3 peer of `service`: the watch's view, else the registry itself. */
  isPeer(name: string, service: string): Promise<boolean>;
  stop(options: { unregister: boolean }): Promise<void>;
}

export function startMesh(o: {
  config: Config;
  endpoint: Endpoint;
  url: string;
  log: Logger;
  transport: Transport;
}): Mesh {
  const { config, endpoint, log, transport } = o;
  const target = (config.registryUrl ?? config.connectTo)!;
  const backoff = { initialMs: config.peerBackoffInitialMs, maxMs: config.peerBackoffMaxMs };
  const registration = registerEndpoint({
    target,
    transport,
    nse: { name: config.name, serviceNames: config.serviceNames, labels: config.labels, url: o.url },
    expiryMs: config.registryExpiryMs,
    registerService: config.registerService,
    log,
    backoff,
    timeoutMs: config.dialTimeoutMs,
  });
  registration.on("change", (registered) => {
    endpoint.registration = registered;
  });
  const watches = new Map<string, PeerWatch>();
  const found = (nse: NetworkServiceEndpoint) =>
    endpoint.peerFound(nse.name, nse.url, dialsPeer(config.name, nse.name) ? "dial" : "accept");
  // A peer's Request can arrive before our watch has told us of the peer (it registered a moment ago):
  // then the registry is asked directly, and a peer it confirms is taken on at once.
  const registry = endpointRegistryClient(target, backoff, transport);
  const lookUp = async (name: string, service: string): Promise<boolean> => {
    const query = { ...NetworkServiceEndpoint.fromPartial({ name }) };
    const nse = (await listEndpoints(registry, query, config.dialTimeoutMs).catch(() => [])).find(
      (e) => e.name === name && isPeerEndpoint(e, service),
    );
    if (nse) found(nse);
    return nse !== undefined;
  };
  for (const service of config.serviceNames) {
    // A registry that restarted forgets everyone until they re-register: give peers that long.
    // Re-listing now and then catches an endpoint that re-registered without this service.
    const watch = watchPeers({
      target,
      transport,
      service,
      self: config.name,
      log,
      backoff,
      goneGraceMs: config.registryExpiryMs,
      resyncMs: config.registryExpiryMs,
    });
    watch.on("peer", (event) => {
      if (event.type === "up") found(event.nse);
      else if (![...watches.values()].some((w) => w.isPeer(event.name))) {
        endpoint.peerLost(event.name);
      }
    });
    watches.set(service, watch);
  }
  return {
    registration,
    isPeer: async (name, service) => watches.get(service)?.isPeer(name) || (await lookUp(name, service)),
    stop: async ({ unregister }) => {
      for (const w of watches.values()) w.stop();
      registry.close();
      await registration.stop({ unregister });
    },
  };
}
