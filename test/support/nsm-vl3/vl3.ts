// The per-request work of NSM's Go vL3 endpoint (sdk v1.15 vl3 server, strictvl3ipam, vl3dns
// server), written from docs in shared/reference/nsm-v1-vl3-parity.md, for tests of mixed fleets:
// its self address is the prefix's network address, clients get addresses from .2 up (.1 is its
// self-connection's, its DNS address), a request is a peer's by NSM's heuristic, and every answer
// gets its DNS config. Not production code: it has the Go endpoint's quirks on purpose.
import type { Connection } from "../../../src/grpc/gen/networkservice/connection.js";
import type { DNSConfig, IPContext, Route } from "../../../src/grpc/gen/networkservice/connectioncontext.js";
import { type Cidr, parseAddressWithLength, parseCidr } from "../../../src/ipam/cidr.js";

const emptyIp = (): IPContext => ({
  srcIpAddrs: [],
  dstIpAddrs: [],
  srcIpRequired: false,
  dstIpRequired: false,
  srcRoutes: [],
  dstRoutes: [],
  excludedPrefixes: [],
  ipNeighbors: [],
  extraPrefixRequest: [],
  extraPrefixes: [],
  policies: [],
});

export class NsmVl3State {
  readonly prefix: Cidr;
  /** The network address as a host route ("172.16.1.0/32"), and as an IP. */
  readonly self: string;
  readonly selfIp: string;
  /** The "global" net: the unmasked prefix string with half the host length (NSM's quirk). */
  readonly global: string;
  /** Its self-connection's address (the first pool address): its DNS server's IP. */
  readonly dnsIp: string;
  private readonly allocated = new Map<string, string>();
  private next: bigint;
  /** Record name → IPs (exact, case-sensitive, as the Go memory handler matches). */
  readonly records = new Map<string, string[]>();
  private readonly recordsOf = new Map<string, string[]>();
  /** DNS servers to fan out to, by connection id. */
  readonly fanout = new Map<string, string[]>();

  constructor(
    prefix: string,
    private readonly o: { name: string; dnsAddress: () => string },
  ) {
    this.prefix = parseCidr(prefix);
    this.selfIp = this.prefix.hostCidr(this.prefix.network).split("/")[0]!;
    this.self = `${this.selfIp}/32`;
    this.global = `${this.selfIp}/16`;
    this.dnsIp = this.prefix.hostCidr(this.prefix.network + 1n).split("/")[0]!;
    this.next = this.prefix.network + 2n;
  }

  private contains(a: string): boolean {
    try {
      const v = parseAddressWithLength(a);
      return v.family === this.prefix.family && v.value >= this.prefix.network && v.value <= this.prefix.last;
    } catch {
      return false;
    }
  }

  /** The request is served: the answer's connection (its name and the DNS record included). */
  serve(request: Connection): Connection {
    const conn: Connection = structuredClone(request);
    conn.context ??= {
      ipContext: undefined,
      dnsContext: undefined,
      ethernetContext: undefined,
      extraContext: {},
      MTU: 0,
    };
    let ip: IPContext = { ...emptyIp(), ...conn.context.ipContext };
    // strictvl3ipam: dst addresses none of which are ours: wipe the IP context (a client that moved).
    if (ip.dstIpAddrs.length > 0 && !ip.dstIpAddrs.some((a) => this.contains(a))) ip = emptyIp();
    const incoming = [...(conn.context.dnsContext?.configs ?? [])];
    const known = this.allocated.get(conn.id);
    const hasSrc = ip.srcIpAddrs.some((a) => !a.includes(":"));
    if (!known && (incoming.length === 0 || !hasSrc)) {
      const addr = this.prefix.hostCidr(this.next++);
      this.allocated.set(conn.id, addr);
      ip.srcIpAddrs.push(addr);
    }
    const addRoute = (list: Route[], prefix: string, nextHop: string) => {
      if (!list.some((r) => r.prefix === prefix)) list.push({ prefix, nextHop });
    };
    addRoute(ip.srcRoutes, this.self, this.selfIp);
    addRoute(ip.srcRoutes, this.prefix.toString(), this.selfIp);
    for (const s of ip.srcIpAddrs) addRoute(ip.dstRoutes, s, "");
    if (!ip.dstIpAddrs.includes(this.self)) ip.dstIpAddrs.push(this.self);
    addRoute(ip.srcRoutes, this.global, this.selfIp);
    conn.context.ipContext = ip;
    // vl3dns: the record from the default template, the DNS config, and the peers' DNS servers.
    const name = `${conn.labels.podName ?? ""}.${conn.networkService}.`.replace(/\.{2,}/g, ".");
    const searches = name
      .replace(/^\.+|\.+$/g, "")
      .split(".")
      .slice(1);
    const ours: DNSConfig = {
      dnsServerIps: [this.o.dnsAddress()],
      searchDomains: searches.map((_, i) => searches.slice(i).join(".")),
    };
    const same = (c: DNSConfig) =>
      c.dnsServerIps.join() === ours.dnsServerIps.join() &&
      c.searchDomains.join() === ours.searchDomains.join();
    conn.context.dnsContext = { configs: incoming.some(same) ? incoming : [...incoming, ours] };
    // (NSM keeps only DNS IPs inside the global net; the sandbox's DNS servers are on loopback.)
    this.fanout.set(
      conn.id,
      incoming.flatMap((c) => c.dnsServerIps).filter((d) => d !== this.o.dnsAddress()),
    );
    this.setRecord(
      conn.id,
      [name],
      ip.srcIpAddrs.map((a) => a.split("/")[0]!),
    );
    return conn;
  }

  close(id: string): void {
    this.allocated.delete(id);
    this.fanout.delete(id);
    this.setRecord(id, [], []);
  }

  /** The dialler's side (vl3 client + vl3dns client): what a peer request of this endpoint carries. */
  peerContext(mtu: number): Connection["context"] {
    return {
      ipContext: {
        ...emptyIp(),
        srcIpAddrs: [this.self],
        dstRoutes: [
          { prefix: this.self, nextHop: this.selfIp },
          { prefix: this.prefix.toString(), nextHop: this.selfIp },
        ],
      },
      dnsContext: { configs: [{ dnsServerIps: [this.o.dnsAddress()], searchDomains: [] }] },
      ethernetContext: undefined,
      extraContext: {},
      MTU: mtu,
    };
  }

  /** A peer's answer to our dial: every config without our DNS server is a fanout target. */
  learnFromAnswer(id: string, answer: Connection): void {
    const own = this.o.dnsAddress();
    const configs = answer.context?.dnsContext?.configs ?? [];
    this.fanout.set(
      id,
      configs.filter((c) => !c.dnsServerIps.includes(own)).flatMap((c) => c.dnsServerIps),
    );
  }

  /** Its self-connection's record ("<name>.<service>." → the DNS address). */
  selfRecord(service: string): void {
    this.setRecord("self", [`${this.o.name}.${service}.`], [this.dnsIp]);
  }

  private setRecord(owner: string, names: string[], ips: string[]): void {
    for (const n of this.recordsOf.get(owner) ?? []) this.records.delete(n);
    this.recordsOf.set(owner, names);
    if (ips.length > 0) for (const n of names) this.records.set(n, ips);
  }
}
