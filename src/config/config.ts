// vl3-nse configuration: one table of NSM_* settings (env names as NSM's vL3 endpoint uses them),
// merged from defaults < config file (the seed's ConfigMap schema) < environment. The
// table of settings is settings.ts; what spans several settings is checked here, after all are read.
import type { GrpcUrl } from "../grpc/url.js";
import { CidrError, parseCidr } from "../ipam/cidr.js";
import type { LogLevel } from "../log.js";
import { qualify } from "../registry/interdomain.js";
import { ConfigError } from "./errors.js";
import { parseList } from "./parse.js";
import { SETTINGS } from "./settings.js";

export { SETTINGS } from "./settings.js";

export type DataplaneKind = "memory" | "vpp" | "kernel";
export type PrefixSourceKind = "static" | "server" | "kubernetes";

export interface Config {
  /** As registered: `name`, or `name@domain` to register in another (floating) domain. */
  name: string;
  /** As registered: `svc`, or `svc@domain` for a service of another (floating) domain. */
  serviceNames: string[];
  /** This endpoint's own NSM domain ("" when single-domain): bare names of its registry live there. */
  domain: string;
  /** Other domains whose endpoints of the same services are peers: watched as `svc@domain`. */
  remoteDomains: string[];
  listenOn: GrpcUrl[];
  /** The local nsmgr; peers are dialled and registration goes through it. Unset: standalone. */
  connectTo?: GrpcUrl;
  /** The registry, when it is not reached through the nsmgr. */
  registryUrl?: GrpcUrl;
  /** Descriptors over unix sockets (NSM's grpcfd); "auto": when the nsmgr is reached over a unix socket. */
  fdPassing: boolean | "auto";
  prefixPool: string;
  prefixLen: number;
  /** This endpoint's prefix when it is static. */
  prefix?: string;
  prefixServerUrl?: GrpcUrl;
  prefixSource: PrefixSourceKind;
  /** Who this endpoint is to a prefix source: its previous prefix comes back to the same identity. */
  prefixIdentity: string;
  /** Where the prefix server keeps its allocations (`vl3-nse prefix-server`). */
  prefixStateFile?: string;
  labels: Record<string, string>;
  requestLabels: Record<string, string>;
  maxTokenLifetimeMs: number;
  /** Connection ids held at most: running, or ended and kept for their owners (recent-owners.ts). */
  maxEndedConnections: number;
  /** The SPIFFE Workload API (SPIFFE_ENDPOINT_SOCKET): where this process's SVID comes from. */
  spiffeEndpointSocket?: string;
  /** Plain text on every channel: no mTLS, no path tokens (NSM_INSECURE=true only). */
  insecure: boolean;
  /** SPIFFE IDs accepted as TLS peers; empty: any ID of our own trust domain (src/security/authorizer.ts). */
  allowedSpiffeIds: string[];
  /** SPIFFE IDs allowed to peer; empty: our own ID's siblings (src/security/peer-allowance.ts). */
  peerSpiffeIds: string[];
  registryExpiryMs: number;
  requestTimeoutMs: number;
  dialTimeoutMs: number;
  /** gRPC keepalive of every client and server (src/grpc/keepalive.ts; docs/transport.md). */
  keepaliveTimeMs: number;
  keepaliveServerTimeMs: number;
  keepaliveTimeoutMs: number;
  registerService: boolean;
  unregisterItself: boolean;
  peerBackoffInitialMs: number;
  peerBackoffMaxMs: number;
  dataplane: DataplaneKind;
  vppAgentUrl: GrpcUrl;
  logLevel: LogLevel;
  debugListenOn?: GrpcUrl;
  /** The probes' own listener (/healthz, /readyz). */
  healthListenOn?: GrpcUrl;
  inspect: boolean;
  inspectPort: number;
  /** OTLP/gRPC collector (host:port) for traces; undefined: tracing off, nothing of it loaded. */
  openTelemetryEndpoint?: string;
  kubeConfigMap?: { namespace: string; name: string };
  kubeNamespace: string;
  podName?: string;
  nodeName?: string;
  /** Workload DNS: name templates (NSM_DNS_TEMPLATES, as NSM writes them), listener, TTL, fanout timeout. */
  dnsTemplates: string;
  /** "auto": port 53 on all addresses with the kernel data plane, off otherwise. */
  dnsListenOn: "auto" | "off" | { host: string; port: number };
  dnsTtlMs: number;
  dnsFanoutTimeoutMs: number;
  /** Also peer with NSM's own vL3 endpoints of the service, by NSM's rules. */
  mixedFleet: boolean;
  /** Extra routes handed to every NSC (seed: `ipam.routes`), CIDR. */
  extraRoutes: string[];
}
/** Settings as they come from a config file, by env name (see file.ts). */
export type Overrides = Record<string, string>;

/** Builds the configuration: defaults < file < env. Throws ConfigError naming the bad key. */
export function loadConfig(env: Record<string, string | undefined>, file: Overrides = {}): Config {
  const config = { extraRoutes: [], prefixSource: "static" } as unknown as Config;
  for (const s of SETTINGS) {
    const raw = env[s.env] ?? file[s.env] ?? s.default;
    try {
      s.apply(config, raw, s.env);
    } catch (err) {
      if (err instanceof CidrError) throw new ConfigError(s.env, `"${raw}" is not a CIDR (address/length)`);
      throw err;
    }
  }
  return finish(config, env, file);
}

function finish(config: Config, env: Record<string, string | undefined>, file: Overrides): Config {
  if (file.NSM_EXTRA_ROUTES)
    config.extraRoutes = parseList(file.NSM_EXTRA_ROUTES).map((r) => parseCidr(r, "ipam.routes").toString());
  // Qualified: endpoints of one bare name in two domains are two owners of a shared prefix server.
  config.prefixIdentity ||= qualify(config.name, config.domain);
  if (!(env.NSM_PREFIX_SOURCE ?? file.NSM_PREFIX_SOURCE))
    config.prefixSource = config.prefixServerUrl ? "server" : "static";
  // NSM's unmarked peer requests are taken for a peer's only when path tokens prove their origin;
  // without tokens that would trust anyone on the network who shapes a request like theirs.
  if (config.mixedFleet && config.insecure) {
    throw new ConfigError(
      "NSM_MIXED_FLEET",
      "true needs path tokens to prove who an NSM peer is; it cannot be used with NSM_INSECURE=true",
    );
  }
  if (config.prefixSource === "server" && !config.prefixServerUrl) {
    throw new ConfigError("NSM_PREFIX_SERVER_URL", "is required when NSM_PREFIX_SOURCE=server");
  }
  const pool = parseCidr(config.prefixPool, "NSM_PREFIX_POOL");
  if (config.prefixLen < pool.bits || config.prefixLen > pool.maxBits - 2) {
    throw new ConfigError(
      "NSM_PREFIX_LEN",
      `${config.prefixLen} must be from ${pool.bits} (the pool's length) to ${pool.maxBits - 2}`,
    );
  }
  if (config.prefix) {
    const prefix = parseCidr(config.prefix, "NSM_PREFIX");
    if (!pool.containsCidr(prefix))
      throw new ConfigError("NSM_PREFIX", `${config.prefix} is not inside the pool ${config.prefixPool}`);
    if (prefix.bits > prefix.maxBits - 2)
      throw new ConfigError("NSM_PREFIX", `${config.prefix} is too small to hold the endpoint and a client`);
  }
  // A uniform remote list may name this domain too: it is not remote.
  config.remoteDomains = config.remoteDomains.filter((d) => d !== config.domain);
  if (config.remoteDomains.length > 0 && config.domain === "") {
    const setting =
      (env.NSM_REMOTE_DOMAINS ?? file.NSM_REMOTE_DOMAINS) ? "NSM_REMOTE_DOMAINS" : "NSM_REMOTE_NS_IP_LIST";
    throw new ConfigError(
      "NSM_DOMAIN",
      `is required with ${setting}: peers in other domains must know this one`,
    );
  }
  if (config.peerBackoffMaxMs < config.peerBackoffInitialMs) {
    throw new ConfigError("NSM_PEER_BACKOFF_MAX", "must not be less than NSM_PEER_BACKOFF_INITIAL");
  }
  return config;
}

/** The settings that differ between two configurations, split by whether they can change live. */
export function diffConfig(a: Config, b: Config): { live: string[]; restart: string[] } {
  const out = { live: [] as string[], restart: [] as string[] };
  for (const s of SETTINGS) {
    if (JSON.stringify(a[s.field]) !== JSON.stringify(b[s.field]))
      (s.live ? out.live : out.restart).push(s.env);
  }
  return out;
}
