// Domain → URL resolution as NSM v1's dnsresolve does it: SRV `<service>.<domain>` gives the port, an
// A/AAAA lookup of the SAME name gives the address (the SRV target is ignored, sdk#1518), the first
// record of each wins. Behind a two-method interface so that the sandbox can fake DNS.
import { promises as dns } from "node:dns";
import { isIP } from "node:net";
import { formatGrpcUrl } from "../grpc/url.js";
import { domainProblem } from "./interdomain.js";

/** The resolver contract: NSM's LookupSRV and LookupIPAddr, by the full name. */
export interface DomainResolver {
  lookupSrv(name: string): Promise<Array<{ port: number }>>;
  lookupIpAddr(name: string): Promise<string[]>;
}

/** The names NSM looks up in a domain (constants in NSM too). */
export const REGISTRY_SERVICE = "registry.nsm-system";
export const NSMGR_PROXY_SERVICE = "nsmgr-proxy.nsm-system";
/** NSM's ports, used for a domain given as a bare IP (the Go seed's NSM_REMOTE_NS_IP_LIST). */
const DEFAULT_PORTS: Record<string, number> = { [REGISTRY_SERVICE]: 5002, [NSMGR_PROXY_SERVICE]: 5004 };

export type ResolveProblem = "invalid" | "not-found";

export class DomainResolveError extends Error {
  constructor(
    readonly domain: string,
    readonly problem: ResolveProblem,
    detail: string,
  ) {
    super(`domain "${domain}": ${detail}`);
    this.name = "DomainResolveError";
  }
}

const hostPort = (host: string, port: number) => formatGrpcUrl({ kind: "tcp", host, port });

/**
 * The URL (`tcp://ip:port`) of `service` in `domainName`. A domain that is a URL with an IP and a
 * port (`tcp://10.0.0.1:5002`) is used as is, as NSM does; an IP or IP:port (the seed's remote list)
 * reaches NSM's default ports there, the given port being the registry's. Anything else is a DNS name.
 */
export async function resolveDomain(
  resolver: DomainResolver,
  service: string,
  domainName: string,
): Promise<string> {
  const problem = domainProblem(domainName);
  if (problem) throw new DomainResolveError(domainName, "invalid", problem);
  const url = /^tcp:\/\/(\[[^\]]+\]|[^:/]+):(\d{1,5})$/.exec(domainName);
  if (url) {
    if (isIP(url[1]!.replace(/^\[|\]$/g, "")) === 0)
      throw new DomainResolveError(domainName, "invalid", "a tcp:// domain needs an IP address");
    return service === REGISTRY_SERVICE
      ? domainName
      : hostPort(url[1]!.replace(/^\[|\]$/g, ""), DEFAULT_PORTS[service] ?? 0);
  }
  const literal = /^(.+?)(?::(\d{1,5}))?$/.exec(domainName)!;
  if (isIP(literal[1]!) === 4 || isIP(domainName) === 6) {
    const ip = isIP(domainName) === 6 ? domainName : literal[1]!;
    const given = isIP(domainName) === 6 ? undefined : literal[2];
    const port = service === REGISTRY_SERVICE && given ? Number(given) : DEFAULT_PORTS[service];
    if (!port) throw new DomainResolveError(domainName, "not-found", `no default port for ${service}`);
    return hostPort(ip, port);
  }
  const name = `${service}.${domainName}`;
  const failed = (what: string, err?: unknown) =>
    new DomainResolveError(
      domainName,
      "not-found",
      `${what} for ${name}${err ? ` (${(err as Error).message ?? err})` : ""}`,
    );
  const srv = await resolver.lookupSrv(name).catch((err) => {
    throw failed("no SRV record", err);
  });
  if (srv.length === 0) throw failed("no SRV record");
  const ips = await resolver.lookupIpAddr(name).catch((err) => {
    throw failed("no A/AAAA record", err);
  });
  if (ips.length === 0) throw failed("no A/AAAA record");
  return hostPort(ips[0]!, srv[0]!.port);
}

/** The system's DNS (what a pod's resolv.conf says), as NSM's registry-proxy-dns uses it. */
export function systemResolver(): DomainResolver {
  return {
    lookupSrv: async (name) => (await dns.resolveSrv(name)).map((r) => ({ port: r.port })),
    lookupIpAddr: async (name) => (await dns.lookup(name, { all: true })).map((a) => a.address),
  };
}
