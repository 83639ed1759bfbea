// Turns one endpoint into a member of the vL3 mesh: registers it (through the nsmgr or with the
// registry), watches the registry for the service's other vL3 peers (one watch per service and
// domain, remote ones `svc@domain` through the local registry as NSM does) and hands each to the
// endpoint actor, which spawns one peer actor per remote NSE, keyed by its qualified name.
import type { Endpoint } from "./actors/endpoint.js";
import { RequestError } from "./chain/errors.js";
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
import { domain, localForm, qualify, serviceOf, watchedServices } from "./registry/interdomain.js";
import { listEndpoints } from "./registry/list.js";
import type { RegistryAuthorize } from "./registry/path-call.js";
import { dialsNsmPeer, isNsmEndpoint } from "./registry/peer.js";
import type { RegistrationHandle } from "./registry/register.js";
import { clip, quote } from "./util/quote.js";

export interface Mesh {
  registration: RegistrationHandle;
  /** Whether `name` (a qualified peer mark) is a registered vL3 peer of `service`: the watch's view, else the registry. */
  isPeer(name: string, service: string): Promise<boolean>;
  /** Mixed fleets: whether `name` is a registered NSM vL3 endpoint of `service` (no peer label). */
  isNsmPeer(name: string, service: string): Promise<boolean>;
  /** The SPIFFE ID that registered peer `name` (its entry's path_ids[0], NSM's registrant), if known. */
  registrantOf(name: string): string | undefined;
  stop(options: { unregister: boolean }): Promise<void>;
}

/**
 * How long a peer Request from an endpoint our watch has not shown yet waits for the watch before the
 * registry is asked: well within any Request's deadline, longer than an event takes on a busy node.
 */
const WATCH_GRACE_MS = 1000;

/** Who this endpoint is to its peers, in every domain: its qualified name. */
export const identityOf = (config: Config) => qualify(config.name, config.domain);

export function startMesh(o: {
  config: Config;
  endpoint: Endpoint;
  url: string;
  log: Logger;
  transport: Transport;
  /** With path tokens on: NSM's registry client policies on our registration's answers. */
  authorize?: RegistryAuthorize;
}): Mesh {
  const { config, endpoint, log, transport } = o;
  const home = config.domain;
  const self = identityOf(config);
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
    authorize: o.authorize,
  });
  registration.on("change", (registered) => {
    endpoint.registration = registered;
  });
  /** By the name watched, as the local registry is asked: `svc`, `svc@c2`, `svc@floating`. */
  const watches = new Map<string, PeerWatch>();
  // NSM's endpoints are ordered by registration time, so ours must be known first: they wait for it.
  const waiting = new Map<string, { nse: NetworkServiceEndpoint; watched: string }>();
  /** Each peer's registrant, as its last entry seen (watch or look-up) says: only it may dial as that peer. */
  const registrants = new Map<string, string>();
  const found = (nse: NetworkServiceEndpoint, watched: string) => {
    if (nse.pathIds[0]) registrants.set(nse.name, nse.pathIds[0]);
    if (isPeerEndpoint(nse, watched)) {
      endpoint.peerFound(nse.name, nse.url, dialsPeer(self, nse.name) ? "dial" : "accept");
      return;
    }
    const ours = registration.initialRegistrationTime;
    if (!ours) {
      waiting.set(nse.name, { nse, watched });
      return;
    }
    const dial = dialsNsmPeer(ours, nse.initialRegistrationTime);
    log.info(
      { peer: nse.name, role: dial ? "dial" : "accept" },
      "NSM vL3 endpoint of the service (mixed fleet)",
    );
    endpoint.peerFound(nse.name, nse.url, dial ? "dial" : "accept");
  };
  registration.on("change", (registered) => {
    if (!registered) return;
    const now = [...waiting.values()];
    waiting.clear();
    for (const w of now) found(w.nse, w.watched);
  });
  // A peer's Request can arrive before our watch has told us of the peer (it registered a moment ago):
  // then the registry is asked directly, and a peer it confirms is taken on at once.
  const registry = endpointRegistryClient(target, backoff, transport);
  const kind = (nse: NetworkServiceEndpoint, watched: string, nsm: boolean) =>
    nsm ? isNsmEndpoint(nse, watched) : isPeerEndpoint(nse, watched);
  const lookUp = async (name: string, watched: string, nsm = false): Promise<boolean> => {
    const query = NetworkServiceEndpoint.fromPartial({ name: localForm(name, home) });
    // A registry that cannot be asked is no answer: the caller gets UNAVAILABLE and retries.
    const listed = await listEndpoints(registry, query, config.dialTimeoutMs).catch((err: unknown) => {
      log.warn({ err, peer: clip(name), service: watched }, "registry could not be asked about a peer");
      throw new RequestError(
        "UNAVAILABLE",
        `the registry could not be asked whether ${quote(name)} is a vL3 peer of ${watched}; retry`,
      );
    });
    const nse = listed
      .map((e) => ({ ...e, name: qualify(e.name, home) }))
      .find((e) => e.name === name && kind(e, watched, nsm));
    if (nse) found(nse, watched);
    return nse !== undefined;
  };
  /** Known to the watch, and of the kind asked (an NSM endpoint's name is no vl3-nse peer mark). */
  const watchedAs = (name: string, watched: string, nsm: boolean) => {
    const nse = watches.get(watched)?.get(name);
    return nse !== undefined && kind(nse, watched, nsm);
  };
  for (const service of config.serviceNames) {
    for (const watched of watchedServices(service, config.remoteDomains)) {
      const remote = domain(watched) !== "" && domain(watched) !== home;
      // A registry that restarted forgets everyone until they re-register: give peers that long.
      // Re-listing now and then catches an endpoint that re-registered without this service. A remote
      // domain we cannot reach for as long is withdrawn: its entries would have expired meanwhile.
      const watch = watchPeers({
        target,
        transport,
        service: watched,
        self,
        home,
        log,
        backoff,
        goneGraceMs: config.registryExpiryMs,
        resyncMs: config.registryExpiryMs,
        unreachableGraceMs: remote ? config.registryExpiryMs : 0,
        nsmPeers: config.mixedFleet && !remote,
      });
      watch.on("peer", (event) => {
        if (event.type === "up") found(event.nse, watched);
        else if (![...watches.values()].some((w) => w.isPeer(event.name))) {
          // Forgotten with the peer, or every name ever seen would stay; a comeback is seen (and recorded) again.
          registrants.delete(event.name);
          endpoint.peerLost(event.name);
        }
      });
      watches.set(watched, watch);
    }
  }
  return {
    registration,
    isPeer: async (name, service) => {
      // The mark's domain says which watch knows it: `svc` arrives bare from a remote domain's proxy.
      const watched = serviceOf(name, service, home);
      const watch = watches.get(watched);
      if (watchedAs(name, watched, false)) return true;
      if (!watch) return false;
      // Its registration's event is usually on its way to our watch too: wait for it a moment first.
      if ((await watch.shown(name, WATCH_GRACE_MS)) && watchedAs(name, watched, false)) return true;
      return lookUp(name, watched);
    },
    registrantOf: (name) => registrants.get(name),
    isNsmPeer: async (name, service) =>
      config.mixedFleet &&
      watches.has(service) &&
      (watchedAs(name, service, true) || (await lookUp(name, service, true))),
    stop: async ({ unregister }) => {
      for (const w of watches.values()) w.stop();
      registry.close();
      await registration.stop({ unregister });
    },
  };
}
