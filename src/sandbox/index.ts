// The in-process NSM sandbox (after the NSM sdk's): a registry, a prefix server, one nsmgr per node
// and any number of vl3-nse endpoints and NSCs, all real gRPC servers on loopback. Used by the
// tests, the benchmarks and the demo. Secured like a cluster by default: every participant has its own
// SPIFFE ID from the sandbox's trust domain (trust-domain.ts) and speaks mTLS. Its options and the
// shape of a running world are in options.ts.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../config/config.js";
import type { Dataplane } from "../dataplane/types.js";
import { fdNative } from "../fd/native.js";
import { Transport } from "../grpc/transport.js";
import { silentLogger } from "../log.js";
import { startNse, type Vl3Nse } from "../nse.js";
import { startPrefixServer } from "../prefix/server.js";
import { type PathSecurity, pathSecurity } from "../security/path-security.js";
import { Nsc } from "./nsc.js";
import { type Nsmgr, startNsmgr } from "./nsmgr.js";
import type { Sandbox, SandboxOptions } from "./options.js";
import { startRegistry } from "./registry-server.js";
import { type SandboxNamespace, SandboxTrustDomain } from "./trust-domain.js";

export type { DomainWiring, Sandbox, SandboxOptions } from "./options.js";

/** Data planes the configuration knows by name (a test double of another name counts as memory). */
const KINDS = ["memory", "vpp", "kernel"];

export async function startSandbox(o: SandboxOptions = {}): Promise<Sandbox> {
  if (o.domains !== undefined && !o.within) {
    const { startDomains } = await import("./domains.js");
    return startDomains(o);
  }
  const log = o.log ?? silentLogger();
  const dir = mkdtempSync(join(tmpdir(), "vl3-sandbox-"));
  const service = o.service ?? "vl3-service";
  const pool = o.pool ?? "172.16.0.0/16";
  const prefixLen = o.prefixLen ?? 24;
  const expiry = o.registryExpiryMs ?? 3000;
  const trustDomain =
    o.security === false
      ? undefined
      : (o.trustDomain ?? (await SandboxTrustDomain.start(dir, log, o.security)));
  const plain = new Transport();
  // Worlds sharing a trust domain (domains.ts) name their control plane apart: cluster1-registry, ...
  const world = o.within?.nsmgrPrefix ?? "";
  const transportOf = async (name: string, namespace: SandboxNamespace): Promise<Transport> =>
    o.transport?.(name) ?? (trustDomain ? (await trustDomain.security(name, namespace)).transport : plain);
  const tokens = (o.pathTokens ?? true) && trustDomain !== undefined;
  const identityOf = async (name: string, namespace: SandboxNamespace) =>
    tokens && trustDomain ? (await trustDomain.security(name, namespace)).identity : undefined;
  const made: PathSecurity[] = [];
  const tokensOf = async (name: string, namespace: SandboxNamespace) => {
    const identity = await identityOf(name, namespace);
    const security = identity && pathSecurity({ identity, maxTokenLifetimeMs: o.lifetimeMs ?? 60_000 });
    if (security) made.push(security);
    return security;
  };
  const registry = await startRegistry({
    listenOn: "127.0.0.1:0",
    maxExpiryMs: expiry,
    sweepMs: Math.min(1000, expiry / 3),
    transport: await transportOf(`${world}registry`, "nsm-system"),
    proxyRegistryUrl: o.within?.proxyRegistryUrl,
    pathTokens: await tokensOf(`${world}registry`, "nsm-system"),
  });
  const prefixServer =
    o.within?.prefixServer ??
    (await startPrefixServer({
      listenOn: "127.0.0.1:0",
      pool: o.within?.prefixSlice ?? pool,
      prefixLen,
      stateFile: join(dir, "prefixes.json"),
      log,
      transport: await transportOf(`${world}prefix-server`, "nsm-system"),
    }));
  const nsmgrs: Nsmgr[] = [];
  const detachPassed: Array<(() => void) | undefined> = [];
  // Where descriptors pass, nsmgrs listen on unix sockets as NSM's do: endpoints register through them
  // with their socket's descriptor and are reached only through it (docs/fd-passing.md).
  const fds = (o.descriptors ?? true) && fdNative().available;
  for (let i = 0; i < (o.nodes ?? 1); i++) {
    nsmgrs.push(
      await startNsmgr({
        name: `${o.within?.nsmgrPrefix ?? ""}nsmgr-${i}`,
        listenOn: fds ? `unix://${join(dir, `nsmgr-${i}.sock`)}` : "127.0.0.1:0",
        registry: registry.url,
        log,
        forwarder: o.kernel?.forwarder,
        transport: await transportOf(`${world}nsmgr-${i}`, "nsm-system"),
        // An endpoint registered through one nsmgr is reached from every node and domain (one process).
        endpointNetns: fds ? (name) => o.kernel?.passedNetns(name) : undefined,
        pathTokens: await tokensOf(`${world}nsmgr-${i}`, "nsm-system"),
      }),
    );
    const local = nsmgrs.at(-1)!.local;
    if (local) detachPassed.push(o.kernel?.addPassedNetns((name) => local.netnsOf(name)));
  }
  const endpoints = new Map<string, Vl3Nse>();
  const clients: Nsc[] = [];
  const nsmgrOf = (node = 0) => nsmgrs[node % nsmgrs.length]!;
  const backoff = o.backoff ?? { initialMs: 50, maxMs: 1000 };

  const endpointEnv = (name: string, opts: { node?: number; dataplane?: Dataplane } = {}) => ({
    NSM_NAME: name,
    NSM_SERVICE_NAMES: service,
    NSM_LISTEN_ON: `unix://${join(dir, `${name}.sock`)}`,
    NSM_CONNECT_TO: nsmgrOf(opts.node).url,
    // With descriptors the endpoint registers through its nsmgr (NSM_CONNECT_TO), as in a cluster.
    NSM_REGISTRY_URL: fds ? "" : registry.url,
    NSM_PREFIX_SERVER_URL: prefixServer.url,
    NSM_PREFIX_POOL: pool,
    NSM_PREFIX_LEN: String(prefixLen),
    NSM_REGISTRY_EXPIRY: `${expiry}ms`,
    NSM_MAX_TOKEN_LIFETIME: `${o.lifetimeMs ?? 60_000}ms`,
    NSM_REQUEST_TIMEOUT: `${o.requestTimeoutMs ?? 5000}ms`,
    NSM_PEER_BACKOFF_INITIAL: `${backoff.initialMs}ms`,
    NSM_PEER_BACKOFF_MAX: `${backoff.maxMs}ms`,
    // A given data plane decides the mechanisms the NSE offers (MEMIF for vpp) and its peer links ask for.
    NSM_DATAPLANE: KINDS.find((k) => k === opts.dataplane?.name) ?? (o.kernel ? "kernel" : "memory"),
    NSM_DEBUG_LISTEN_ON: "",
    // Workload DNS on loopback, a free port each: the in-memory data plane gives no address to listen on.
    NSM_DNS_LISTEN_ON: "127.0.0.1:0",
    ...o.within?.env(name),
    ...o.endpointSettings,
    // An endpoint host builds its own transport from these, as `vl3-nse run` does.
    ...(trustDomain
      ? { SPIFFE_ENDPOINT_SOCKET: trustDomain.address(name, "vl3") }
      : { NSM_INSECURE: "true" }),
  });

  const startEndpoint = async (name: string, opts: { node?: number; dataplane?: Dataplane } = {}) => {
    const config = loadConfig(endpointEnv(name, opts));
    const dataplane = opts.dataplane ?? (o.kernel ? await o.kernel.endpointDataplane(name) : undefined);
    // With real namespaces, workload DNS answers in the endpoint's own (kernel-dns.ts).
    const dnsRelay = o.kernel && !opts.dataplane ? o.kernel.dnsRelay(name, dir) : undefined;
    const nse = await startNse(config, {
      log: log.child({ nse: name }),
      dataplane,
      dnsRelay,
      transport: await transportOf(name, "vl3"),
      identity: await identityOf(name, "vl3"),
    });
    endpoints.set(name, nse);
    return nse;
  };

  const stopEndpoint = async (name: string, opts: { graceful?: boolean } = {}) => {
    const nse = endpoints.get(name);
    if (!nse) return;
    endpoints.delete(name);
    if (opts.graceful ?? true) await nse.stop();
    else {
      await nse.kill();
      await o.kernel?.removePod(name);
    }
  };

  const startClient = async (
    name: string,
    opts: { node?: number; mechanism?: "KERNEL" | "MEMIF"; mtu?: number } = {},
  ) => {
    await o.kernel?.clientNetns(name);
    const nsc = new Nsc({
      name,
      nsmgr: nsmgrOf(opts.node).url,
      service,
      mechanism: opts.mechanism,
      lifetimeMs: o.lifetimeMs,
      restoreMs: o.restoreMs,
      log: log.child({ nsc: name }),
      onConnection: o.kernel && ((conn) => o.kernel!.useDns(name, conn)),
      mtu: opts.mtu,
      transport: await transportOf(name, "default"),
      pathTokens: (await tokensOf(name, "default"))?.generate,
    });
    clients.push(nsc);
    await nsc.connect();
    return nsc;
  };

  return {
    registry,
    prefixServer,
    nsmgrs,
    endpoints,
    clients,
    service,
    trustDomain,
    pathTokens: tokens,
    endpointEnv,
    startEndpoint,
    stopEndpoint,
    startClient,
    stop: async () => {
      await Promise.all(clients.map((c) => c.close()));
      await Promise.all([...endpoints.keys()].map((n) => stopEndpoint(n)));
      await Promise.all(nsmgrs.map((n) => n.stop()));
      for (const detach of detachPassed) detach?.();
      if (!o.within?.prefixServer) await prefixServer.stop();
      await registry.stop();
      for (const security of made.splice(0)) security.dispose();
      if (!o.within) await o.kernel?.cleanup(); // domains.ts cleans a shared kernel once, last
      if (!o.trustDomain) await trustDomain?.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
