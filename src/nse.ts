// The composition root: builds one vl3-nse from its configuration. Data plane, prefix source, peer
// links (chosen in parts.ts), endpoint actor, element chain (its order in nse-chain.ts), gRPC server,
// registry and peers, debug and health listeners, in start order; stopped in reverse (nse-stop.ts),
// and a failed start undone, so nothing is left behind.
import type { InspectionEvent } from "xstate";
import { Endpoint } from "./actors/endpoint.js";
import type { Observable } from "./actors/observe.js";
import type { PeerLinks } from "./actors/peer-effects.js";
import { OWN_NETNS_FILE } from "./chain/mechanism.js";
import type { Config } from "./config/config.js";
import { ConfigError } from "./config/errors.js";
import type { Dataplane } from "./dataplane/types.js";
import { startListeners } from "./debug/listeners.js";
import type { DnsRelayHandle, Vl3Dns } from "./dns/vl3.js";
import { fdNative } from "./fd/native.js";
import { endpointOffers } from "./grpc/fd-offers.js";
import { withFdPassing } from "./grpc/fd-transport.js";
import { type EndpointServer, startEndpointServer } from "./grpc/server.js";
import type { Transport } from "./grpc/transport.js";
import type { Logger } from "./log.js";
import { type Mesh, startMesh } from "./mesh.js";
import { endpointChain } from "./nse-chain.js";
import { type Held, killHeld, stopHeld } from "./nse-stop.js";
import { createDataplane, createDns, createPeerLinks, createPrefixSource } from "./parts.js";
import type { PrefixSource } from "./prefix/types.js";
import type { IdentitySource } from "./security/identity.js";
import { pathSecurity } from "./security/path-security.js";
import { transportSecurity } from "./security/setup.js";
import type { TokenGenerator } from "./security/token.js";

export interface NseOptions {
  log: Logger;
  /** Overrides for tests and the sandbox; otherwise built from the configuration. */
  dataplane?: Dataplane;
  prefixSource?: PrefixSource;
  peerLinks?: PeerLinks;
  inspect?: (event: InspectionEvent) => void;
  /** How every gRPC client and server of this NSE is built (credentials); default plain text. */
  transport?: Transport;
  /** This endpoint's SVID (mTLS and path tokens). With neither this nor a generator: no tokens. */
  identity?: IdentitySource;
  /** Makes our path-segment tokens; default: ES256 with `identity`'s SVID. The sandbox passes its own. */
  tokenGenerator?: TokenGenerator;
  /**
   * The kernel sandbox: workload DNS listens on loopback here and a relay in the endpoint's namespace
   * serves it on the endpoint's own address, port 53, and carries its fanout out of that namespace.
   */
  dnsRelay?: (dns: { port: number }) => Promise<DnsRelayHandle>;
  /** Observers attached before start-up (so they see the prefix claim); each returns its detach function. */
  observers?: Array<(endpoint: Observable) => (() => void) | undefined>;
}

export interface Vl3Nse {
  config: Config;
  endpoint: Endpoint;
  server: EndpointServer;
  /** The URL peers and the nsmgr reach this NSE at (the first listen URL). */
  url: string;
  mesh?: Mesh;
  /** Workload DNS, when it serves (NSM_DNS_LISTEN_ON). */
  dns?: Vl3Dns;
  /** The debug server's base URL (NSM_DEBUG_LISTEN_ON), if it runs. */
  debugUrl?: string;
  /** The health listener's base URL (NSM_HEALTH_LISTEN_ON), if it runs. */
  healthUrl?: string;
  stop(options?: { releasePrefix?: boolean }): Promise<void>;
  /** Dies without goodbyes (no Close, no unregister): what peers and clients must heal from. */
  kill(): Promise<void>;
}

/** Starts one vl3-nse; if any step fails, what the earlier steps took is released before the error
 * is passed on (issue 10: a failed start must not leave a half-started process behind). */
export async function startNse(config: Config, o: NseOptions): Promise<Vl3Nse> {
  const undo: Array<() => unknown> = [];
  try {
    return await start(config, o, undo);
  } catch (err) {
    for (const step of undo.reverse()) {
      await Promise.resolve()
        .then(step)
        .catch((e: unknown) => o.log.warn({ err: e }, "releasing after a failed start failed"));
    }
    throw err;
  }
}

async function start(config: Config, o: NseOptions, undo: Array<() => unknown>): Promise<Vl3Nse> {
  const log = o.log;
  const dns = createDns(config, log, o.dnsRelay !== undefined);
  // Tracing (NSM_OPEN_TELEMETRY_ENDPOINT) is loaded only when configured, as the inspector is.
  const tracing = config.openTelemetryEndpoint
    ? (await import("./debug/tracing.js")).startTracing({
        endpoint: config.openTelemetryEndpoint,
        serviceName: config.name,
        log,
      })
    : undefined;
  undo.push(() => tracing?.shutdown());
  // Secure by default: unless given a transport (tests, the sandbox), the settings decide
  // (SPIFFE_ENDPOINT_SOCKET or NSM_INSECURE=true; neither is a configuration error).
  const secured = o.transport ? undefined : transportSecurity(config, log);
  undo.push(() => secured?.close());
  const identity = o.identity ?? secured?.identity;
  const base = o.transport ?? secured!.transport;
  const withTracing = tracing ? base.with({ interceptors: [tracing.interceptor] }) : base;
  // Descriptors over every unix socket (NSM's grpcfd) where the addon is here; NSM_FD_PASSING=true insists.
  const { transport, carrier } = withFdPassing(withTracing, config.fdPassing !== false, log);
  const fd = fdNative();
  if (config.fdPassing === true && !fd.available)
    throw new ConfigError("NSM_FD_PASSING", `true, but descriptors cannot pass here: ${fd.reason}`);
  const security = pathSecurity({
    identity,
    generate: o.tokenGenerator,
    maxTokenLifetimeMs: config.maxTokenLifetimeMs,
  });
  undo.push(() => security?.dispose());
  // With path tokens on, every call to NSM (nsmgr, registry, prefix server) carries ours, as NSM's do.
  const clients = security ? transport.withPathTokens(security.generate) : transport;
  const dataplane = o.dataplane ?? (await createDataplane(config, log, transport));
  const closeDataplane = () => dataplane.close();
  undo.push(closeDataplane);
  const prefixSource = o.prefixSource ?? (await createPrefixSource(config, log, clients));
  const stopPrefix = () => prefixSource.stop({ release: false });
  undo.push(stopPrefix);
  let endpoint: Endpoint | undefined;
  const offers = endpointOffers(carrier, {
    netnsFile: dataplane.netnsFile ?? OWN_NETNS_FILE,
    connectTo: config.connectTo,
    registry: config.registryUrl ?? config.connectTo,
  });
  const nsmgrLinks = o.peerLinks
    ? undefined
    : createPeerLinks(config, log, {
        transport: clients,
        netnsUrl: offers.netnsUrl,
        dnsAddress: () => dns?.address(),
        authorize: security && { verifier: security.verifier, keys: security.keys },
        endpoint: () => endpoint!,
      });
  undo.push(() => nsmgrLinks?.dispose());
  endpoint = new Endpoint({
    config,
    log,
    dataplane,
    prefixSource,
    peerLinks: o.peerLinks ?? nsmgrLinks,
    inspect: o.inspect,
    dnsConfig: dns && ((answer, kind) => dns.configFor(answer, kind)),
  });
  // The endpoint closes the data plane and the prefix source from now on (abort: the prefix is kept
  // for the restart that follows a failed start).
  for (const step of [closeDataplane, stopPrefix]) undo.splice(undo.indexOf(step), 1);
  undo.push(() => endpoint!.abort());
  const detachDns = dns?.attach(endpoint);
  undo.push(() => detachDns?.());
  let server: EndpointServer | undefined;
  // Before start-up, so that metrics and the probes see it from the first moment.
  const listeners = await startListeners({
    config,
    observable: endpoint,
    listening: () => server?.listening,
    security: secured?.status,
    log,
  });
  undo.push(() => listeners.close());
  const detach = [...(o.observers ?? []), ...(tracing ? [tracing.observe] : [])].map((attach) =>
    attach(endpoint!),
  );
  undo.push(() => {
    for (const d of detach) d?.();
  });
  // Nothing is dialled or served before we have an SVID (NSM's apps block here too); /readyz says why.
  await identity?.ready();
  await endpoint.start();
  // After the endpoint holds its prefix: with a wildcard listener, its own address is the DNS address.
  undo.push(() => dns?.stop());
  await dns?.start();
  if (dns && o.dnsRelay) dns.useRelay(await o.dnsRelay({ port: dns.port! }));
  let mesh: Mesh | undefined;
  const handler = endpointChain({
    config,
    endpoint,
    netnsFile: dataplane.netnsFile,
    spans: tracing?.spans,
    security,
    identity,
    carrier,
    mesh: () => mesh,
  });
  const bound = await startEndpointServer({
    listenOn: config.listenOn,
    handler,
    events: endpoint.events,
    serviceNames: config.serviceNames,
    requestTimeoutMs: config.requestTimeoutMs,
    pathTokens: security !== undefined,
    log,
    transport,
  });
  server = bound;
  undo.push(
    () => bound.close({ force: true }),
    () => offers.withdraw(),
  );
  const url = bound.urls[0]!;
  if (config.connectTo || config.registryUrl) {
    mesh = startMesh({
      config,
      endpoint,
      url: offers.registeredUrl(url),
      log: log.child({ component: "mesh" }),
      transport: clients,
      authorize: security && { verifier: security.verifier, keys: security.keys },
    });
  } else {
    endpoint.registration = true; // standalone: nothing to register with
  }
  const held: Held = {
    config,
    log,
    server: bound,
    endpoint,
    mesh,
    peerLinks: nsmgrLinks,
    offers,
    dns,
    detachDns,
    listeners,
    pathSecurity: security,
    transportSecurity: secured,
    observers: detach,
    tracing,
  };
  return {
    config,
    endpoint,
    server: bound,
    url,
    mesh,
    dns,
    debugUrl: listeners.debugUrl,
    healthUrl: listeners.healthUrl,
    stop: (options) => stopHeld(held, options),
    kill: () => killHeld(held),
  };
}
