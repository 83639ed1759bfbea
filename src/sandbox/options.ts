// The sandbox's options (what kind of world to build: nodes, security, descriptors, domains, a
// kernel for real packets) and the shape of a running world: its participants and how to add or stop
// endpoints and NSCs. index.ts builds it; domains.ts ties several together.
import type { Dataplane } from "../dataplane/types.js";
import type { Transport } from "../grpc/transport.js";
import type { Logger } from "../log.js";
import type { Vl3Nse } from "../nse.js";
import type { PrefixServer } from "../prefix/server.js";
import type { DomainWorlds, SandboxDomain } from "./domains.js";
import type { SandboxKernel } from "./kernel.js";
import type { Nsc } from "./nsc.js";
import type { Nsmgr } from "./nsmgr.js";
import type { SandboxRegistry as RegistryServer } from "./registry-server.js";
import type { SandboxTrustDomain, TrustDomainOptions } from "./trust-domain.js";

export interface SandboxOptions {
  nodes?: number;
  /** NSM's descriptor path (docs/fd-passing.md): nsmgrs on unix sockets, endpoints registered through
   * them with their socket's descriptor and reached only through it, namespaces opened from descriptors.
   * Default on where the addon is built (elsewhere the sandbox falls back to names and TCP); false only
   * for a test about the by-name path. */
  descriptors?: boolean;
  service?: string;
  pool?: string;
  prefixLen?: number;
  /** Registration expiry and path-segment lifetime: short values make healing tests quick. */
  registryExpiryMs?: number;
  lifetimeMs?: number;
  /** NSM_REQUEST_TIMEOUT of the endpoints' peer Requests (default 5 s; NSM's is 15 s). */
  requestTimeoutMs?: number;
  backoff?: { initialMs: number; maxMs: number };
  /** How long an NSC whose connection broke asks the same endpoint again before reselecting (nsc.ts). */
  restoreMs?: number;
  /** Real packets: every NSE and NSC in its own network namespace (root; see kernel.ts). */
  kernel?: SandboxKernel;
  /** NSM_* settings every endpoint gets on top of the sandbox's (for example NSM_MIXED_FLEET). */
  endpointSettings?: Record<string, string>;
  log?: Logger;
  /** SPIFFE mTLS for every participant from the sandbox's trust domain (default), with these options;
   * false: plain text everywhere (NSM_INSECURE=true), only for tests about the plain wire. */
  security?: false | TrustDomainOptions;
  /** Path tokens on every hop (endpoints, nsmgrs, the registry, proxies, NSCs: updatetoken, authorize),
   * each signed with its own SVID, as in a cluster (default, with `security`); false: mTLS only, for tests
   * about the plain wire. */
  pathTokens?: boolean;
  /** Replaces the transport of a participant, by name ("registry", "prefix-server", "nsmgr-0", an
   * NSE's or NSC's name); undefined keeps what `security` gives it. */
  transport?: (name: string) => Transport | undefined;
  /** A trust domain to take every participant's SVID from instead of starting one (several worlds
   * sharing one, as domains.ts does); not stopped with this world. */
  trustDomain?: SandboxTrustDomain;
  /** Several NSM domains (a count, or their names): one world each, tied by a fake DNS (domains.ts). */
  domains?: number | string[];
  /** With domains: the vL3 is registered once in a floating domain (`svc@floating`). */
  floating?: boolean;
  /** With domains: one prefix server for all ("shared", default) or the pool split per domain. */
  prefixes?: "shared" | "split";
  /** Set by domains.ts for each domain's world. */
  within?: DomainWiring;
}

/** How one domain's world is tied into the others (domains.ts builds it). */
export interface DomainWiring {
  /** The nsmgr proxy URL, where the registry sends `@` names. */
  proxyRegistryUrl: () => string;
  /** Extra NSM_* settings of an endpoint (its domain, remote domains, qualified names). */
  env: (name: string) => Record<string, string>;
  /** A prefix server shared by all domains (not stopped with this world), else this world's own pool slice. */
  prefixServer?: PrefixServer;
  prefixSlice?: string;
  /** Names this world's nsmgrs. */
  nsmgrPrefix: string;
}

export interface Sandbox {
  registry: RegistryServer;
  prefixServer: PrefixServer;
  nsmgrs: Nsmgr[];
  endpoints: Map<string, Vl3Nse>;
  clients: Nsc[];
  service: string;
  /** With `domains`: every domain's world (this one is the first) and the DNS tying them. */
  domains?: SandboxDomain[];
  interdomain?: DomainWorlds;
  /** The trust domain every participant's SVID comes from (undefined with `security: false`). */
  trustDomain?: SandboxTrustDomain;
  /** Whether every hop signs and checks path tokens (an endpoint host is told so: hosts.startEndpoint). */
  pathTokens: boolean;
  /** The NSM_* environment an endpoint of this sandbox runs with (also what an endpoint host is given). */
  endpointEnv(name: string, options?: { node?: number; dataplane?: Dataplane }): Record<string, string>;
  startEndpoint(name: string, options?: { node?: number; dataplane?: Dataplane }): Promise<Vl3Nse>;
  stopEndpoint(name: string, options?: { graceful?: boolean }): Promise<void>;
  /** `mechanism`: what the NSC asks for; MEMIF for endpoints on the VPP data plane. */
  startClient(
    name: string,
    options?: { node?: number; mechanism?: "KERNEL" | "MEMIF"; mtu?: number },
  ): Promise<Nsc>;
  stop(): Promise<void>;
}
