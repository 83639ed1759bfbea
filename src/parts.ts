// The parts of one vl3-nse that its configuration chooses: the data plane, the prefix source, workload
// DNS, the peer links through the nsmgr (and, for mixed fleets, how NSM's peer requests are told),
// each heavy module loaded only when configured. The composition root (nse.ts) calls these; tests and
// the sandbox replace parts through NseOptions instead.
import type { Endpoint } from "./actors/endpoint.js";
import type { PeerLinks } from "./actors/peer-effects.js";
import type { MechanismType } from "./chain/mechanism.js";
import { recogniseNsmPeer } from "./chain/nsm-peer.js";
import type { PeerCheck } from "./chain/peer.js";
import type { Config, DataplaneKind } from "./config/config.js";
import { MemoryDataplane } from "./dataplane/memory.js";
import type { Dataplane } from "./dataplane/types.js";
import { Vl3Dns } from "./dns/vl3.js";
import { type NsmgrPeerLinksOptions, nsmgrPeerLinks } from "./grpc/peer-links.js";
import { defaultTransport, type Transport } from "./grpc/transport.js";
import { Cidr, parseCidr } from "./ipam/cidr.js";
import type { Logger } from "./log.js";
import { identityOf, type Mesh } from "./mesh.js";
import { StaticPrefixSource } from "./prefix/static.js";
import type { PrefixSource } from "./prefix/types.js";

export const MECHANISMS: Record<DataplaneKind, MechanismType[]> = {
  memory: ["KERNEL", "MEMIF"],
  vpp: ["MEMIF"],
  kernel: ["KERNEL"],
};

export async function createDataplane(
  config: Config,
  log: Logger,
  transport: Transport = defaultTransport,
): Promise<Dataplane> {
  switch (config.dataplane) {
    case "memory":
      return new MemoryDataplane();
    case "vpp": {
      const { VppAgentDataplane } = await import("./vpp/index.js");
      return new VppAgentDataplane({
        target: config.vppAgentUrl,
        log: log.child({ component: "vpp" }),
        transport,
      });
    }
    case "kernel": {
      const { KernelDataplane } = await import("./kernel/dataplane.js");
      return new KernelDataplane({ log: log.child({ component: "kernel" }) });
    }
  }
}

/** The first prefix of the pool: the static default when nothing else says. */
export function firstPrefix(config: Config): string {
  const pool = parseCidr(config.prefixPool);
  return new Cidr(pool.family, pool.network, config.prefixLen).toString();
}

export async function createPrefixSource(
  config: Config,
  log: Logger,
  transport: Transport = defaultTransport,
): Promise<PrefixSource> {
  const identity = { id: config.prefixIdentity, pool: config.prefixPool, prefixLen: config.prefixLen };
  switch (config.prefixSource) {
    case "static":
      return new StaticPrefixSource(config.prefix ?? firstPrefix(config), { pool: config.prefixPool });
    case "server": {
      const { IpamPrefixSource } = await import("./prefix/ipam-source.js");
      return new IpamPrefixSource({
        target: config.prefixServerUrl!,
        identity,
        log: log.child({ component: "prefix" }),
        transport,
      });
    }
    case "kubernetes": {
      const { kubernetesPrefixSource } = await import("./k8s/index.js");
      return kubernetesPrefixSource(config, identity, log.child({ component: "prefix" }));
    }
  }
}

/** Workload DNS as configured: NSM_DNS_LISTEN_ON, or port 53 where the data plane gives us an address. */
export function createDns(config: Config, log: Logger, relayed = false): Vl3Dns | undefined {
  const listen =
    config.dnsListenOn === "auto"
      ? config.dataplane === "kernel"
        ? { host: "0.0.0.0", port: 53 }
        : undefined
      : config.dnsListenOn === "off"
        ? undefined
        : config.dnsListenOn;
  if (!listen) return undefined;
  return new Vl3Dns({
    name: config.name,
    serviceNames: config.serviceNames,
    selfLabels: { podName: config.podName ?? config.name },
    templates: config.dnsTemplates,
    ttlMs: config.dnsTtlMs,
    fanoutTimeoutMs: config.dnsFanoutTimeoutMs,
    listen,
    relayed,
    log: log.child({ component: "dns" }),
  });
}

/** Mixed fleets (NSM_MIXED_FLEET): how the peer element recognises and confirms NSM's peer requests. */
export function nsmPeerCheck(
  config: Config,
  endpoint: Endpoint,
  mesh: () => Mesh | undefined,
): PeerCheck["nsmPeer"] {
  if (!config.mixedFleet) return undefined;
  const pool = parseCidr(config.prefixPool);
  return {
    recognise: (conn) =>
      recogniseNsmPeer(conn, {
        self: config.name,
        pool,
        prefix: endpoint.prefix ? parseCidr(endpoint.prefix) : undefined,
        kindOf: (id) => endpoint.kindOf(id),
      }),
    confirm: (name, service) => mesh()?.isNsmPeer(name, service) ?? false,
  };
}

/** How the endpoint dials its peers: through the nsmgr (NSM_CONNECT_TO), else not at all (undefined). */
export function createPeerLinks(
  config: Config,
  log: Logger,
  o: Pick<NsmgrPeerLinksOptions, "transport" | "netnsUrl" | "dnsAddress" | "authorize"> & {
    /** The endpoint, made after the links. */
    endpoint: () => Endpoint;
  },
): (PeerLinks & { dispose(): void }) | undefined {
  if (!config.connectTo) return undefined;
  const { endpoint, ...rest } = o;
  return nsmgrPeerLinks({
    ...rest,
    target: config.connectTo,
    self: config.name,
    identity: identityOf(config),
    home: config.domain,
    service: config.serviceNames[0]!,
    requestLabels: config.requestLabels,
    mechanism: MECHANISMS[config.dataplane][0]!,
    addressing: () => endpoint().addressing(),
    mtu: () => endpoint().mtu.current,
    mtuSeen: (mtu) => {
      if (endpoint().mtu.seen(mtu)) endpoint().askRefresh(mtu);
    },
    lifetimeMs: config.maxTokenLifetimeMs,
    timeoutMs: config.requestTimeoutMs,
    log: log.child({ component: "peer-links" }),
  });
}
