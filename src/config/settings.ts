// The table of NSM_* settings vl3-nse reads: for each, its env name, default, the doc line --help and
// docs/configuration.md print, and how its raw value is checked and set on the Config. Checks that span
// several settings live in config.ts, after every setting is read.
import { hostname } from "node:os";
import { DEFAULT_TEMPLATES, parseTemplates, TemplateError } from "../dns/templates.js";
import { parseCidr } from "../ipam/cidr.js";
import { isLogLevel } from "../log.js";
import { domain, domainProblem, isInterdomain, target } from "../registry/interdomain.js";
import { authorizerFrom } from "../security/authorizer.js";
import { peerAllowance } from "../security/peer-allowance.js";
import { workloadApiTarget } from "../security/workload-address.js";
import type { Config, DataplaneKind, PrefixSourceKind } from "./config.js";
import { ConfigError } from "./errors.js";
import { parseBool, parseDuration, parseInteger, parseLabels, parseList, parseUrlSetting } from "./parse.js";

export interface Setting {
  env: string;
  default: string;
  doc: string;
  /** The Config field it sets. */
  field: keyof Config;
  /** Whether a change can be applied to a running endpoint. */
  live: boolean;
  apply(config: Config, raw: string, env: string): void;
}

const url = (env: string, raw: string) => parseUrlSetting(env, raw);
const optionalUrl = (env: string, raw: string) => (raw.trim() === "" ? undefined : url(env, raw));
/** A keepalive timing: pings more often than every second help nobody and load every connection. */
const keepaliveDuration = (env: string, raw: string) => {
  const ms = parseDuration(env, raw);
  if (ms < 1000) throw new ConfigError(env, "must be at least 1s");
  return ms;
};

/** Every setting vl3-nse reads. The docs' table, --help and the deploy checks come from this list. */
// biome-ignore format: one setting per entry reads as the table it is
export const SETTINGS: readonly Setting[] = [
  { env: "NSM_NAME", default: `vl3-nse-${hostname()}`, doc: "Endpoint name, unique in the registry (a DaemonSet uses the pod name); name@domain registers it in that (floating) domain.", field: "name", live: false,
    apply: (c, raw, env) => { if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(target(raw))) throw new ConfigError(env, `"${raw}" is not a name (letters, digits, . _ -; at most 63; then @domain if any)`); checkDomainOf(env, raw); c.name = raw; } },
  { env: "NSM_SERVICE_NAMES", default: "vl3-service", doc: "Network services this endpoint serves (comma-separated); svc@domain for a service of a floating domain.", field: "serviceNames", live: false,
    apply: (c, raw, env) => { const v = parseList(raw); if (v.length === 0) throw new ConfigError(env, "at least one network service is needed"); for (const s of v) checkDomainOf(env, s); c.serviceNames = v; } },
  { env: "NSM_DOMAIN", default: "", doc: "This endpoint's own NSM domain, the DNS domain other domains reach it by (my.cluster1); needed with remote domains.", field: "domain", live: false,
    apply: (c, raw, env) => { const v = raw.trim(); const p = v === "" ? undefined : domainProblem(v); if (p) throw new ConfigError(env, p); c.domain = v; } },
  { env: "NSM_REMOTE_DOMAINS", default: "", doc: "Other NSM domains whose endpoints of the same services are peers (comma-separated DNS domains or IP[:port]); each watched as svc@domain through the local registry.", field: "remoteDomains", live: false,
    apply: (c, raw, env) => { c.remoteDomains = remoteList(env, raw, []); } },
  { env: "NSM_REMOTE_NS_IP_LIST", default: "", doc: "The Go seed's name for NSM_REMOTE_DOMAINS (its ConfigMap nsm-vl3, key remote.ip_list); merged with it.", field: "remoteDomains", live: false,
    apply: (c, raw, env) => { c.remoteDomains = remoteList(env, raw, c.remoteDomains); } },
  { env: "NSM_LISTEN_ON", default: "tcp://127.0.0.1:5003", doc: "Where the NetworkService gRPC server listens (comma-separated unix:// and tcp:// URLs).", field: "listenOn", live: false,
    apply: (c, raw, env) => { const v = parseList(raw).map((s) => url(env, s)); if (v.length === 0) throw new ConfigError(env, "at least one URL is needed"); c.listenOn = v; } },
  { env: "NSM_CONNECT_TO", default: "", doc: "The local nsmgr (unix:///var/lib/networkservicemesh/nsm.io.sock in a cluster); empty runs standalone.", field: "connectTo", live: false,
    apply: (c, raw, env) => { c.connectTo = optionalUrl(env, raw); } },
  { env: "NSM_FD_PASSING", default: "auto", doc: "File descriptors over unix sockets as NSM's grpcfd: auto (on every unix socket where the addon is built), true (the same, and a start without the addon fails), false; docs/fd-passing.md.", field: "fdPassing", live: false,
    apply: (c, raw, env) => { c.fdPassing = raw.trim().toLowerCase() === "auto" ? "auto" : parseBool(env, raw); } },
  { env: "NSM_REGISTRY_URL", default: "", doc: "The registry, if not reached through NSM_CONNECT_TO.", field: "registryUrl", live: false,
    apply: (c, raw, env) => { c.registryUrl = optionalUrl(env, raw); } },
  { env: "NSM_PREFIX_POOL", default: "172.16.0.0/16", doc: "The vL3 pool that every endpoint's prefix comes from (IPv4 or IPv6).", field: "prefixPool", live: false,
    apply: (c, raw, env) => { c.prefixPool = parseCidr(raw, env).toString(); } },
  { env: "NSM_PREFIX_LEN", default: "24", doc: "Length of the prefix each endpoint takes from the pool.", field: "prefixLen", live: false,
    apply: (c, raw, env) => { c.prefixLen = parseInteger(env, raw, 1, 128); } },
  { env: "NSM_PREFIX", default: "", doc: "A static prefix for this endpoint (inside the pool); empty takes the first prefix of the pool unless a prefix server or Kubernetes is used.", field: "prefix", live: false,
    apply: (c, raw, env) => { c.prefix = raw.trim() === "" ? undefined : parseCidr(raw, env).toString(); } },
  { env: "NSM_PREFIX_SERVER_URL", default: "", doc: "An NSM ipam.IPAM/ManagePrefixes server (NSM's vl3-ipam or `vl3-nse prefix-server`).", field: "prefixServerUrl", live: false,
    apply: (c, raw, env) => { c.prefixServerUrl = optionalUrl(env, raw); } },
  { env: "NSM_PREFIX_SOURCE", default: "", doc: "static, server or kubernetes; empty chooses server when NSM_PREFIX_SERVER_URL is set, else static.", field: "prefixSource", live: false,
    apply: (c, raw, env) => { if (raw === "") return; if (!["static", "server", "kubernetes"].includes(raw)) throw new ConfigError(env, `"${raw}" is not one of static, server, kubernetes`); c.prefixSource = raw as PrefixSourceKind; } },
  { env: "NSM_PREFIX_IDENTITY", default: "", doc: "Identity for the prefix claim (a DaemonSet sets the node name, stable across pod restarts); empty uses NSM_NAME (name@NSM_DOMAIN with a domain).", field: "prefixIdentity", live: false,
    apply: (c, raw) => { c.prefixIdentity = raw.trim(); } },
  { env: "NSM_PREFIX_STATE_FILE", default: "", doc: "State file of `vl3-nse prefix-server` (allocations survive its restart).", field: "prefixStateFile", live: false,
    apply: (c, raw) => { c.prefixStateFile = raw.trim() || undefined; } },
  { env: "NSM_LABELS", default: "", doc: "Labels registered for each service (k=v,k=v).", field: "labels", live: false,
    apply: (c, raw, env) => { c.labels = parseLabels(env, raw); } },
  { env: "NSM_REQUEST_LABELS", default: "", doc: "Labels put on peer requests (k=v,k=v).", field: "requestLabels", live: false,
    apply: (c, raw, env) => { c.requestLabels = parseLabels(env, raw); } },
  { env: "NSM_MAX_TOKEN_LIFETIME", default: "10m", doc: "Lifetime of this endpoint's path segment; also the expiry of a connection whose previous segment carries none.", field: "maxTokenLifetimeMs", live: false,
    apply: (c, raw, env) => { c.maxTokenLifetimeMs = parseDuration(env, raw); } },
  { env: "NSM_MAX_ENDED_CONNECTIONS", default: "100000", doc: "Connection ids held at most, running or ended: an ended connection's id stays its owner's for NSM_MAX_TOKEN_LIFETIME (a healing NSC comes back for it); when full, the SPIFFE ID holding the most ended ids gives up its own oldest one, so one client's churn cannot crowd out others; with none to give (plain text, or all running) a Request for a new id is refused with RESOURCE_EXHAUSTED.", field: "maxEndedConnections", live: false,
    apply: (c, raw, env) => { c.maxEndedConnections = parseInteger(env, raw, 1, 10_000_000); } },
  { env: "SPIFFE_ENDPOINT_SOCKET", default: "", doc: "The SPIFFE Workload API, i.e. the SPIRE agent's socket (unix:///run/spire/sockets/agent.sock in a cluster): this process's X.509-SVID for mTLS on every channel and for path tokens. Required unless NSM_INSECURE=true.", field: "spiffeEndpointSocket", live: false,
    apply: (c, raw, env) => { c.spiffeEndpointSocket = raw.trim() === "" ? undefined : raw.trim(); if (c.spiffeEndpointSocket) try { workloadApiTarget(c.spiffeEndpointSocket, env); } catch (e) { throw new ConfigError(env, (e as Error).message.replace(`${env}: `, "")); } } },
  { env: "NSM_INSECURE", default: "false", doc: "Plain text gRPC on every channel: no mTLS, no path tokens (development only; warned in the log and in /readyz).", field: "insecure", live: false,
    apply: (c, raw, env) => { c.insecure = parseBool(env, raw); } },
  { env: "NSM_ALLOWED_SPIFFE_IDS", default: "", doc: "SPIFFE IDs accepted as TLS peers on every channel (comma-separated: an ID, spiffe://<trust domain> for all of its IDs, or an ID prefix ending in /*); empty: any ID of our own trust domain, as NSM does.", field: "allowedSpiffeIds", live: false,
    apply: (c, raw, env) => { c.allowedSpiffeIds = parseList(raw); try { authorizerFrom(c.allowedSpiffeIds, env); } catch (e) { throw new ConfigError(env, (e as Error).message.replace(`${env}: `, "")); } } },
  { env: "NSM_PEER_SPIFFE_IDS", default: "", doc: "SPIFFE IDs allowed to peer with this endpoint (comma-separated: an ID, spiffe://<trust domain>, or an ID prefix ending in /*); empty: our own ID's siblings (spiffe://<td>/ns/<our namespace>/pod/* with NSM's SPIRE IDs). Checked when path tokens are on.", field: "peerSpiffeIds", live: false,
    apply: (c, raw, env) => { c.peerSpiffeIds = parseList(raw); try { peerAllowance(c.peerSpiffeIds, () => undefined, env); } catch (e) { throw new ConfigError(env, (e as Error).message.replace(`${env}: `, "")); } } },
  { env: "NSM_REGISTRY_EXPIRY", default: "1m", doc: "Expiration asked for the registration; refreshed at 2/3 of it.", field: "registryExpiryMs", live: false,
    apply: (c, raw, env) => { c.registryExpiryMs = parseDuration(env, raw); } },
  { env: "NSM_REQUEST_TIMEOUT", default: "15s", doc: "Deadline of an outgoing Request (peers).", field: "requestTimeoutMs", live: false,
    apply: (c, raw, env) => { c.requestTimeoutMs = parseDuration(env, raw); } },
  { env: "NSM_DIAL_TIMEOUT", default: "5s", doc: "Deadline of a dial to the nsmgr, registry or prefix server.", field: "dialTimeoutMs", live: false,
    apply: (c, raw, env) => { c.dialTimeoutMs = parseDuration(env, raw); } },
  { env: "NSM_KEEPALIVE_TIME", default: "310s", doc: "Our clients ping a connection with open calls that was quiet this long (NSM's Go servers refuse pings more often than every 5m).", field: "keepaliveTimeMs", live: false,
    apply: (c, raw, env) => { c.keepaliveTimeMs = keepaliveDuration(env, raw); } },
  { env: "NSM_KEEPALIVE_SERVER_TIME", default: "30s", doc: "Our servers ping each client connection that was quiet this long.", field: "keepaliveServerTimeMs", live: false,
    apply: (c, raw, env) => { c.keepaliveServerTimeMs = keepaliveDuration(env, raw); } },
  { env: "NSM_KEEPALIVE_TIMEOUT", default: "10s", doc: "A keepalive ping unanswered this long ends the connection and its calls (clients and servers).", field: "keepaliveTimeoutMs", live: false,
    apply: (c, raw, env) => { c.keepaliveTimeoutMs = keepaliveDuration(env, raw); } },
  { env: "NSM_REGISTER_SERVICE", default: "true", doc: "Register the NetworkService itself too.", field: "registerService", live: false,
    apply: (c, raw, env) => { c.registerService = parseBool(env, raw); } },
  { env: "NSM_UNREGISTER_ITSELF", default: "true", doc: "Unregister on shutdown.", field: "unregisterItself", live: false,
    apply: (c, raw, env) => { c.unregisterItself = parseBool(env, raw); } },
  { env: "NSM_PEER_BACKOFF_INITIAL", default: "200ms", doc: "First retry delay of a healing peer link (doubles, with jitter).", field: "peerBackoffInitialMs", live: false,
    apply: (c, raw, env) => { c.peerBackoffInitialMs = parseDuration(env, raw); } },
  { env: "NSM_PEER_BACKOFF_MAX", default: "30s", doc: "Largest retry delay of a healing peer link.", field: "peerBackoffMaxMs", live: false,
    apply: (c, raw, env) => { c.peerBackoffMaxMs = parseDuration(env, raw); } },
  { env: "NSM_DATAPLANE", default: "memory", doc: "memory, vpp (a vpp-agent) or kernel (iproute2 in this network namespace).", field: "dataplane", live: false,
    apply: (c, raw, env) => { if (!["memory", "vpp", "kernel"].includes(raw)) throw new ConfigError(env, `"${raw}" is not one of memory, vpp, kernel`); c.dataplane = raw as DataplaneKind; } },
  { env: "NSM_DNS_TEMPLATES", default: DEFAULT_TEMPLATES, doc: "Workload DNS names, comma-separated Go templates over the Connection as NSM's vL3 writes them.", field: "dnsTemplates", live: false,
    apply: (c, raw, env) => { try { if (parseTemplates(raw).length === 0) throw new ConfigError(env, "at least one template is needed"); } catch (e) { if (e instanceof TemplateError) throw new ConfigError(env, e.message); throw e; } c.dnsTemplates = raw; } },
  { env: "NSM_DNS_LISTEN_ON", default: "", doc: "Workload DNS listener (UDP and TCP), host:port; empty: port 53 on all addresses with the kernel data plane, off otherwise; off: none.", field: "dnsListenOn", live: false,
    apply: (c, raw, env) => { c.dnsListenOn = parseDnsListen(env, raw.trim()); } },
  { env: "NSM_DNS_TTL", default: "5s", doc: "TTL of workload DNS answers: how long a resolver may keep a name after its workload moved.", field: "dnsTtlMs", live: false,
    apply: (c, raw, env) => { c.dnsTtlMs = parseDuration(env, raw); if (c.dnsTtlMs < 1000) throw new ConfigError(env, "must be at least 1s (DNS counts TTLs in seconds)"); } },
  { env: "NSM_DNS_FANOUT_TIMEOUT", default: "1s", doc: "Longest wait for one peer endpoint's DNS server when a name is not ours.", field: "dnsFanoutTimeoutMs", live: false,
    apply: (c, raw, env) => { c.dnsFanoutTimeoutMs = parseDuration(env, raw); } },
  { env: "NSM_MIXED_FLEET", default: "false", doc: "Also peer with NSM's own vL3 endpoints of the service (registered without the peer label), by NSM's rules: the newer dials the older. Needs path tokens (a peer's origin must be proven): refused with NSM_INSECURE=true.", field: "mixedFleet", live: false,
    apply: (c, raw, env) => { c.mixedFleet = parseBool(env, raw); } },
  { env: "NSM_VPP_AGENT_URL", default: "localhost:9111", doc: "The vpp-agent's gRPC configurator.", field: "vppAgentUrl", live: false,
    apply: (c, raw, env) => { c.vppAgentUrl = url(env, raw); } },
  { env: "NSM_LOG_LEVEL", default: "INFO", doc: "TRACE, DEBUG, INFO, WARN, ERROR or FATAL.", field: "logLevel", live: true,
    apply: (c, raw, env) => { const v = raw.trim().toLowerCase(); if (!isLogLevel(v)) throw new ConfigError(env, `"${raw}" is not a log level`); c.logLevel = v; } },
  { env: "NSM_DEBUG_LISTEN_ON", default: "tcp://127.0.0.1:9090", doc: "Debug HTTP server (/debug/actors, /debug/ui, /metrics, /healthz, /readyz); empty turns it off.", field: "debugListenOn", live: false,
    apply: (c, raw, env) => { c.debugListenOn = optionalUrl(env, raw); if (c.debugListenOn?.kind === "unix") throw new ConfigError(env, "the debug server listens on tcp://host:port only"); } },
  { env: "NSM_HEALTH_LISTEN_ON", default: "", doc: "Health listener for the Kubernetes probes (/healthz: gRPC server listening and event loop on time; /readyz: ready, or what it waits for) and Prometheus (/metrics); empty turns it off.", field: "healthListenOn", live: false,
    apply: (c, raw, env) => { c.healthListenOn = optionalUrl(env, raw); if (c.healthListenOn?.kind === "unix") throw new ConfigError(env, "the health listener listens on tcp://host:port only"); } },
  { env: "NSM_INSPECT", default: "false", doc: "Serve the Stately inspector bridge (development only).", field: "inspect", live: false,
    apply: (c, raw, env) => { c.inspect = parseBool(env, raw); } },
  { env: "NSM_INSPECT_PORT", default: "8080", doc: "Port of the Stately inspector bridge.", field: "inspectPort", live: false,
    apply: (c, raw, env) => { c.inspectPort = parseInteger(env, raw, 1, 65535); } },
  { env: "NSM_OPEN_TELEMETRY_ENDPOINT", default: "", doc: "OTLP/gRPC collector (host:port or http://host:port) to send traces to, as NSM's; empty turns tracing off.", field: "openTelemetryEndpoint", live: false,
    apply: (c, raw, env) => { if (raw === "") { c.openTelemetryEndpoint = undefined; return; } if (!/^(https?:\/\/)?[^\s/:]+:\d+\/?$/.test(raw)) throw new ConfigError(env, `"${raw}" is not host:port or http://host:port`); c.openTelemetryEndpoint = raw; } },
  { env: "NSM_CONFIGMAP", default: "", doc: "namespace/name of a ConfigMap (seed schema, key config.yaml) read and watched through the Kubernetes API.", field: "kubeConfigMap", live: false,
    apply: (c, raw, env) => { if (raw === "") { c.kubeConfigMap = undefined; return; } const m = /^([a-z0-9-]+)\/([a-z0-9.-]+)$/.exec(raw); if (!m) throw new ConfigError(env, `"${raw}" is not namespace/name`); c.kubeConfigMap = { namespace: m[1]!, name: m[2]! }; } },
  { env: "POD_NAMESPACE", default: "default", doc: "Namespace of this pod (downward API); Leases and Events go there.", field: "kubeNamespace", live: false,
    apply: (c, raw) => { c.kubeNamespace = raw; } },
  { env: "POD_NAME", default: "", doc: "This pod's name (downward API), for Events.", field: "podName", live: false,
    apply: (c, raw) => { c.podName = raw || undefined; } },
  { env: "NODE_NAME", default: "", doc: "This node's name (downward API); a DaemonSet's prefix claim is keyed by it.", field: "nodeName", live: false,
    apply: (c, raw) => { c.nodeName = raw || undefined; } },
];

function parseDnsListen(env: string, raw: string): Config["dnsListenOn"] {
  if (raw === "") return "auto";
  if (raw === "off") return "off";
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(raw);
  const port = Number(m?.[3]);
  if (!m || port > 65535) throw new ConfigError(env, `"${raw}" is not host:port, empty or off`);
  return { host: m[1] ?? m[2]!, port };
}

/** A qualified name's domain must be one (the Go seed's `svc@ip1@ip2` is refused here). */
function checkDomainOf(env: string, name: string): void {
  const p = isInterdomain(name) ? domainProblem(domain(name)) : undefined;
  if (p) throw new ConfigError(env, `"${name}": the domain ${p}`);
}

function remoteList(env: string, raw: string, before: string[]): string[] {
  const out = [...before];
  for (const d of parseList(raw)) {
    const p = domainProblem(d);
    if (p) throw new ConfigError(env, p);
    if (!out.includes(d)) out.push(d);
  }
  return out;
}
