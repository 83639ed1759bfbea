// Workload DNS for one endpoint: names for its clients (from NSM_DNS_TEMPLATES) and for itself, a
// fanout to the DNS servers of its peers for the rest, and the DNS config its answers carry. Fed
// only by the endpoint's lifecycle signals (Observable); it never reads an actor.
import type { LinkSignal, Observable } from "../actors/observe.js";
import type { Connection } from "../grpc/gen/networkservice/connection.js";
import type { DNSConfig } from "../grpc/gen/networkservice/connectioncontext.js";
import type { Logger } from "../log.js";
import { cache } from "./cache.js";
import { exchange, formatServer } from "./client.js";
import { type FanoutOptions, fanout } from "./fanout.js";
import { chain, checkQuery, type DnsHandler } from "./handler.js";
import { noloop } from "./noloop.js";
import { RecordBook, records } from "./records.js";
import { type DnsServer, startDnsServer } from "./server.js";
import {
  type NameTemplate,
  namesFor,
  parseTemplates,
  searchDomainsFor,
  type TemplateData,
} from "./templates.js";

export interface Vl3DnsOptions {
  /** This endpoint's name and services: its own record is made as a client's would be. */
  name: string;
  serviceNames: string[];
  /** Labels of the endpoint's own record (NSM: podName = its pod name). */
  selfLabels: Record<string, string>;
  templates: string;
  ttlMs: number;
  fanoutTimeoutMs: number;
  log: Logger;
  /** Where to listen; `advertise` is what clients and peers are told when the host is a wildcard. */
  listen: { host: string; port: number };
  /** Reached through a relay at the endpoint's own address, port 53 (the kernel sandbox), not where it listens. */
  relayed?: boolean;
}

/** A relay that serves workload DNS from the endpoint's data-plane namespace (the kernel sandbox). */
export interface DnsRelayHandle {
  stop(): Promise<void>;
  /** One exchange with a peer's DNS server, sent from that namespace. */
  exchange: FanoutOptions["exchange"];
}

const WILDCARDS = new Set(["0.0.0.0", "::", ""]);

export class Vl3Dns {
  readonly book = new RecordBook();
  readonly handler: DnsHandler;
  private readonly templates: NameTemplate[];
  /** DNS servers of our peers, by link id (a link to a peer that dialled us, or one we dialled). */
  private readonly peers = new Map<string, string[]>();
  private selfAddress?: string;
  private exchange: FanoutOptions["exchange"] = exchange;
  private relay?: DnsRelayHandle;
  private server?: DnsServer;

  constructor(private readonly o: Vl3DnsOptions) {
    this.templates = parseTemplates(o.templates);
    const ttl = Math.round(o.ttlMs / 1000);
    this.handler = chain(
      [
        checkQuery,
        records(this.book, ttl),
        noloop(),
        cache({ maxEntries: 10_000, negativeSeconds: Math.min(ttl, 2) }),
      ],
      fanout({
        upstreams: () => this.upstreams(),
        exchange: (server, query, deadline) => this.exchange(server, query, deadline),
        timeoutMs: o.fanoutTimeoutMs,
      }),
    );
  }

  /** Follows the endpoint: prefix (own address and name), client connections and peer links. */
  attach(endpoint: Observable): () => void {
    return endpoint.onSignal((s) => {
      if (s.type === "prefix" && s.address) this.useSelfAddress(s.address);
      else if (s.type === "link") this.onLink(s);
    });
  }

  async start(): Promise<void> {
    this.server = await startDnsServer({ ...this.o.listen, handler: this.handler, log: this.o.log });
    this.o.log.info({ dns: this.address() }, "workload DNS serving");
  }

  /** Served through a relay from now on: the fanout goes out through it, and it stops with us. */
  useRelay(relay: DnsRelayHandle): void {
    this.relay = relay;
    this.exchange = relay.exchange;
  }

  /** The port it listens on (known once started). */
  get port(): number | undefined {
    return this.server?.port;
  }

  async stop(): Promise<void> {
    await this.relay?.stop();
    this.relay = undefined;
    await this.server?.close();
    this.server = undefined;
  }

  /** The DNS server address clients and peers are given ("172.16.0.1", "127.0.0.1:5353"); undefined before it is known. */
  address(): string | undefined {
    if (this.o.relayed) return this.selfAddress;
    const port = this.server?.port ?? this.o.listen.port;
    if (!WILDCARDS.has(this.o.listen.host)) return formatServer(this.o.listen.host, port);
    return this.selfAddress ? formatServer(this.selfAddress, port) : undefined;
  }

  /** The DNS config for an answer: our server, and the search domains of the names it gets here. */
  configFor(answer: ConnectionFacts, kind: "client" | "peer"): DNSConfig | undefined {
    const address = this.address();
    if (!address) return undefined;
    const names = kind === "client" ? namesFor(this.templates, templateData(answer)) : [];
    return { dnsServerIps: [address], searchDomains: searchDomainsFor(names) };
  }

  /** Peers' DNS servers now: every server their links name, except ours. */
  upstreams(): string[] {
    const own = this.address();
    return [...new Set([...this.peers.values()].flat())].filter((s) => s !== own);
  }

  private useSelfAddress(cidr: string): void {
    this.selfAddress = cidr.split("/")[0];
    const names = this.o.serviceNames.flatMap((service) =>
      namesFor(this.templates, {
        Id: `${this.o.name}-self`,
        NetworkService: service,
        NetworkServiceEndpointName: this.o.name,
        Payload: "IP",
        Labels: this.o.selfLabels,
      }),
    );
    this.book.set("self", names, [cidr]);
  }

  private onLink(s: LinkSignal): void {
    if (s.kind === "peer") {
      if (s.up) this.peers.set(s.id, s.dnsServers);
      else this.peers.delete(s.id);
      return;
    }
    if (!s.up) {
      this.book.delete(s.id);
      return;
    }
    const names = namesFor(this.templates, {
      Id: s.connectionId,
      NetworkService: s.networkService,
      NetworkServiceEndpointName: s.endpointName,
      Payload: s.payload,
      Labels: s.labels,
    });
    this.book.set(s.id, names, s.addresses);
  }
}

type ConnectionFacts = Pick<
  Connection,
  "id" | "networkService" | "networkServiceEndpointName" | "payload" | "labels"
>;

function templateData(c: ConnectionFacts): TemplateData {
  return {
    Id: c.id,
    NetworkService: c.networkService,
    NetworkServiceEndpointName: c.networkServiceEndpointName,
    Payload: c.payload,
    Labels: c.labels,
  };
}
