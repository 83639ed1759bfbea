// Several NSM domains in one process, as NSM's sdk sandbox builds them: per domain a registry, nsmgrs,
// a registry proxy and an nsmgr proxy; optionally a floating domain that runs only a registry; one
// prefix server for all (or the pool split per domain); one fake DNS that maps domains to proxies.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join as joinPath } from "node:path";
import { splitPool } from "../ipam/split.js";
import { silentLogger } from "../log.js";
import { type PrefixServer, startPrefixServer } from "../prefix/server.js";
import { join } from "../registry/interdomain.js";
import { NSMGR_PROXY_SERVICE, REGISTRY_SERVICE } from "../registry/resolve.js";
import { type PathSecurity, pathSecurity } from "../security/path-security.js";
import { FakeDomainResolver } from "./fake-resolver.js";
import type { Sandbox, SandboxOptions } from "./index.js";
import { startSandbox } from "./index.js";
import { type NsmgrProxy, startNsmgrProxy } from "./nsmgr-proxy.js";
import { type ProxyServer, startRegistryProxy } from "./registry-proxy.js";
import { type SandboxRegistry, startRegistry } from "./registry-server.js";
import { SandboxTrustDomain } from "./trust-domain.js";

export const FLOATING_DOMAIN = "floating";

export interface SandboxDomain extends Sandbox {
  /** The domain's DNS name (cluster1, cluster2, ...). */
  name: string;
  registryProxy: ProxyServer;
  nsmgrProxy: NsmgrProxy;
  /** Stops both proxies: nothing reaches the domain and it reaches nothing (a partition). */
  cutOff(): Promise<void>;
  /** Starts both proxies again on their addresses. */
  reconnect(): Promise<void>;
}

export interface DomainWorlds {
  resolver: FakeDomainResolver;
  floating?: { name: string; registry: SandboxRegistry };
  /** The shared prefix server, or one per domain when the pool is split. */
  prefixServers: PrefixServer[];
  /** Each domain's pool slice when split. */
  slices?: string[];
}

export async function startDomains(o: SandboxOptions): Promise<Sandbox> {
  const log = o.log ?? silentLogger();
  const names =
    typeof o.domains === "number"
      ? Array.from({ length: o.domains }, (_, i) => `cluster${i + 1}`)
      : [...(o.domains ?? [])];
  if (names.length === 0) throw new Error("domains: at least one domain is needed");
  const service = o.service ?? "vl3-service";
  const pool = o.pool ?? "172.16.0.0/16";
  const prefixLen = o.prefixLen ?? 24;
  const expiry = o.registryExpiryMs ?? 3000;
  const dir = mkdtempSync(joinPath(tmpdir(), "vl3-domains-"));
  const resolver = new FakeDomainResolver();
  const worlds: DomainWorlds = { resolver, prefixServers: [] };
  // One trust domain for every world (a simplification of federated clusters): every participant,
  // proxies and the shared prefix server included, has an SVID of it and speaks mTLS.
  const trustDomain =
    o.security === false
      ? undefined
      : (o.trustDomain ?? (await SandboxTrustDomain.start(dir, log, o.security)));
  const transportOf = async (name: string) =>
    o.transport?.(name) ??
    (trustDomain ? (await trustDomain.security(name, "nsm-system")).transport : undefined);
  // The proxies are hops of every path too (NSM's are): their own tokens, the same checks as nsmgrs'.
  const made: PathSecurity[] = [];
  const tokensOf = async (name: string) => {
    if (!(o.pathTokens ?? true) || !trustDomain) return undefined;
    const { identity } = await trustDomain.security(name, "nsm-system");
    const security = identity && pathSecurity({ identity, maxTokenLifetimeMs: o.lifetimeMs ?? 60_000 });
    if (security) made.push(security);
    return security;
  };

  if (o.floating) {
    const registry = await startRegistry({
      listenOn: "127.0.0.1:0",
      maxExpiryMs: expiry,
      sweepMs: Math.min(1000, expiry / 3),
      transport: await transportOf("floating-registry"),
      pathTokens: await tokensOf("floating-registry"),
    });
    // A floating domain has no nsmgr proxy: its nsmgr-proxy name does not resolve, on purpose.
    resolver.add(`${REGISTRY_SERVICE}.${FLOATING_DOMAIN}`, registry.url);
    worlds.floating = { name: FLOATING_DOMAIN, registry };
  }
  const split = o.prefixes === "split";
  if (split) worlds.slices = splitPool(pool, names.length, prefixLen);
  else {
    worlds.prefixServers.push(
      await startPrefixServer({
        listenOn: "127.0.0.1:0",
        pool,
        prefixLen,
        stateFile: joinPath(dir, "prefixes.json"),
        log,
        transport: await transportOf("prefix-server"),
      }),
    );
  }

  const domains: SandboxDomain[] = [];
  for (const [i, name] of names.entries()) {
    let registryUrl = "";
    const registryProxy = await startRegistryProxy({
      name: `${name}-registry-proxy`,
      listenOn: "127.0.0.1:0",
      resolver,
      registry: () => registryUrl,
      log,
      transport: await transportOf(`${name}-registry-proxy`),
      pathTokens: await tokensOf(`${name}-registry-proxy`),
    });
    const nsmgrProxy = await startNsmgrProxy({
      name: `${name}-nsmgr-proxy`,
      listenOn: "127.0.0.1:0",
      registry: () => registryUrl,
      registryProxy: () => registryProxy.url,
      log,
      transport: await transportOf(`${name}-nsmgr-proxy`),
      pathTokens: await tokensOf(`${name}-nsmgr-proxy`),
    });
    const others = names.filter((d) => d !== name);
    const world = await startSandbox({
      ...o,
      domains: undefined,
      // Each participant keeps a name of its own across domains (its identity once mTLS is on).
      transport: o.transport && ((who: string) => o.transport!(`${name}-${who}`)),
      trustDomain,
      service: o.floating ? join(service, FLOATING_DOMAIN) : service,
      within: {
        proxyRegistryUrl: () => nsmgrProxy.url,
        nsmgrPrefix: `${name}-`,
        prefixServer: split ? undefined : worlds.prefixServers[0],
        prefixSlice: worlds.slices?.[i],
        env: (nse): Record<string, string> =>
          o.floating
            ? {
                NSM_NAME: join(nse, FLOATING_DOMAIN),
                NSM_SERVICE_NAMES: join(service, FLOATING_DOMAIN),
                NSM_DOMAIN: name,
              }
            : { NSM_DOMAIN: name, NSM_REMOTE_DOMAINS: others.join(",") },
      },
    });
    registryUrl = world.registry.url;
    if (split) worlds.prefixServers.push(world.prefixServer);
    // Other domains reach this one's registry through its registry proxy (its border), and its
    // endpoints through its nsmgr proxy.
    resolver.add(`${REGISTRY_SERVICE}.${name}`, registryProxy.url);
    resolver.add(`${NSMGR_PROXY_SERVICE}.${name}`, nsmgrProxy.url);
    domains.push({
      ...world,
      name,
      registryProxy,
      nsmgrProxy,
      cutOff: async () => {
        await Promise.all([nsmgrProxy.stop(), registryProxy.stop()]);
      },
      reconnect: async () => {
        await Promise.all([nsmgrProxy.start(), registryProxy.start()]);
      },
      stop: async () => {
        await world.stop();
        await Promise.all([nsmgrProxy.stop(), registryProxy.stop()]);
      },
    });
  }

  const first = domains[0]!;
  return {
    ...first,
    domains,
    interdomain: worlds,
    stop: async () => {
      await Promise.all(domains.map((d) => d.stop()));
      if (!split) await Promise.all(worlds.prefixServers.map((p) => p.stop()));
      await worlds.floating?.registry.stop();
      for (const security of made.splice(0)) security.dispose();
      await o.kernel?.cleanup();
      if (!o.trustDomain) await trustDomain?.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
