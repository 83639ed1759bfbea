// An emulated NSM Go vL3 endpoint (cmd-nse-vl3-vpp) for mixed-fleet tests, written from the
// reference: it takes a prefix from the prefix server, registers without the vl3-nse peer label,
// does ONE Find right after registering, and dials (through its nsmgr) every endpoint of the service
// registered no later than itself, with NSM's peer request; it serves NSCs and peers by NSM's
// heuristic (vl3.ts) and runs NSM's DNS (dns.ts). It refreshes what it dialled; it never re-discovers.
// Given an identity it signs path tokens as NSM's Go code does (ES256, no x5c) on every call, and runs
// NSM's server updatetoken and authorize on what it serves.
import { randomUUID } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import type { DnsServer } from "../../../src/dns/server.js";
import {
  type Connection,
  ConnectionEventType,
  MonitorConnectionService,
  State,
} from "../../../src/grpc/gen/networkservice/connection.js";
import {
  NetworkServiceClient,
  type NetworkServiceRequest,
  NetworkServiceService,
} from "../../../src/grpc/gen/networkservice/networkservice.js";
import { NetworkServiceEndpoint } from "../../../src/grpc/gen/registry/registry.js";
import { toServiceError } from "../../../src/grpc/status.js";
import { defaultTransport, type Transport } from "../../../src/grpc/transport.js";
import { silentLogger } from "../../../src/log.js";
import { IpamPrefixSource } from "../../../src/prefix/ipam-source.js";
import { endpointRegistryClient } from "../../../src/registry/clients.js";
import { listEndpoints } from "../../../src/registry/list.js";
import { type RegistrationHandle, registerEndpoint } from "../../../src/registry/register.js";
import { pathGuard } from "../../../src/sandbox/path-guard.js";
import type { IdentitySource } from "../../../src/security/identity.js";
import { type PathSecurity, pathSecurity } from "../../../src/security/path-security.js";
import { spiffeTokenGenerator } from "../../../src/security/token.js";
import { nsmDnsHandler, startNsmDns } from "./dns.js";
import { NsmVl3State } from "./vl3.js";

export interface NsmVl3Options {
  name: string;
  service: string;
  nsmgr: string;
  registry: string;
  prefixServer: string;
  listenOn: string;
  pool: string;
  lifetimeMs: number;
  expiryMs: number;
  /** Its credentials (the sandbox's trust domain, as every participant's); default plain text. */
  transport?: Transport;
  /** Its SVID: path tokens on, as NSM's (no x5c header: NSM's Go generator writes none). */
  identity?: IdentitySource;
}

/** NSM's token generator: the SVID's key, header {alg, typ} only. */
function nsmTokens(identity: IdentitySource, lifetimeMs: number): PathSecurity {
  const generate = spiffeTokenGenerator({
    signer: () => {
      const now = identity.current()!;
      return { spiffeId: now.spiffeId, privateKey: now.privateKey, notAfter: now.notAfter };
    },
    maxLifetimeMs: lifetimeMs,
  });
  return pathSecurity({ identity, generate, maxTokenLifetimeMs: lifetimeMs })!;
}

export class NsmVl3Endpoint {
  state!: NsmVl3State;
  /** Who it dialled, and the answers it holds (name → connection). */
  readonly dialled = new Map<string, Connection>();
  /** Connections it serves, by id. */
  readonly served = new Map<string, Connection>();
  private server?: grpc.Server;
  private dns?: DnsServer;
  private registration?: RegistrationHandle;
  private prefixSource?: IpamPrefixSource;
  private ns?: NetworkServiceClient;
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(readonly o: NsmVl3Options) {}

  private tokens?: PathSecurity;

  /** Its transport, with its tokens on every call when it has an identity. */
  private get transport(): Transport {
    const base = this.o.transport ?? defaultTransport;
    return this.tokens ? base.withPathTokens(this.tokens.generate) : base;
  }

  get dnsAddress(): string {
    return `127.0.0.1:${this.dns?.port}`;
  }

  async start(): Promise<void> {
    const log = silentLogger();
    if (this.o.identity) {
      await this.o.identity.ready();
      this.tokens = nsmTokens(this.o.identity, 600_000);
    }
    const guard = pathGuard(this.o.name, this.tokens);
    this.prefixSource = new IpamPrefixSource({
      target: this.o.prefixServer,
      identity: { id: this.o.name, pool: this.o.pool, prefixLen: 24 },
      log,
      transport: this.transport,
    });
    const prefix = await this.prefixSource.start();
    this.state = new NsmVl3State(prefix, { name: this.o.name, dnsAddress: () => this.dnsAddress });
    this.state.selfRecord(this.o.service);
    this.dns = await startNsmDns(
      nsmDnsHandler(this.state.records, () => [...new Set([...this.state.fanout.values()].flat())]),
    );
    this.server = (this.o.transport ?? defaultTransport).server();
    this.server.addService(NetworkServiceService, {
      request: (
        call: grpc.ServerUnaryCall<NetworkServiceRequest, Connection>,
        cb: grpc.sendUnaryData<Connection>,
      ) => {
        const req = call.request.connection!;
        // NSM's path handling reduced: our segment is the next one; the id it sees is that segment's.
        const segments = req.path?.pathSegments ?? [];
        const index = (req.path?.index ?? 0) + 1;
        const mine = segments[index] ?? {
          name: this.o.name,
          id: randomUUID(),
          token: "",
          expires: undefined,
          metrics: {},
        };
        const ours = { ...mine, name: this.o.name, expires: new Date(Date.now() + this.o.lifetimeMs) };
        const conn = { ...req, id: ours.id, networkServiceEndpointName: this.o.name, state: State.UP };
        conn.path = { index, pathSegments: [...segments.slice(0, index), ours] };
        // NSM's updatetoken and authorize server (a pass-through without tokens).
        guard.request(conn, call).then(
          (checked) => {
            const answer = this.state.serve(checked);
            this.served.set(answer.id, answer);
            cb(null, answer);
          },
          (err: Error) => cb(toServiceError(err) as grpc.ServiceError),
        );
      },
      close: (call: grpc.ServerUnaryCall<Connection, object>, cb: grpc.sendUnaryData<object>) => {
        const id =
          call.request.path?.pathSegments[(call.request.path?.index ?? 0) + 1]?.id ?? call.request.id;
        guard.close(call.request, call).then(
          () => {
            this.state.close(id);
            this.served.delete(id);
            cb(null, {});
          },
          (err: Error) => cb(toServiceError(err) as grpc.ServiceError),
        );
      },
    } as never);
    this.server.addService(MonitorConnectionService, {
      monitorConnections: (call: grpc.ServerWritableStream<unknown, unknown>) => {
        call.write({
          type: ConnectionEventType.INITIAL_STATE_TRANSFER,
          connections: Object.fromEntries(this.served),
        });
        call.on("cancelled", () => call.end());
      },
    } as never);
    // A unix:// URL, registered as it is.
    await this.transport.bind(this.server, this.o.listenOn);
    const target = this.o.listenOn;
    this.registration = registerEndpoint({
      target: this.o.registry,
      nse: { name: this.o.name, serviceNames: [this.o.service], labels: {}, url: target },
      expiryMs: this.o.expiryMs,
      peer: false,
      log,
      transport: this.transport,
      authorize: this.tokens,
    });
    await new Promise<void>((resolve) => this.registration!.once("change", () => resolve()));
    await this.discoverAndDial();
  }

  /** NSM's start-up: one Find, then a dial to every endpoint registered no later than us. */
  private async discoverAndDial(): Promise<void> {
    const registry = endpointRegistryClient(this.o.registry, { initialMs: 50, maxMs: 500 }, this.transport);
    const found = await listEndpoints(
      registry,
      NetworkServiceEndpoint.fromPartial({ networkServiceNames: [this.o.service] }),
      5000,
    );
    registry.close();
    const ours = this.registration!.initialRegistrationTime!.getTime();
    this.ns = this.transport.client(NetworkServiceClient, this.o.nsmgr);
    for (const nse of found) {
      if (nse.name === this.o.name || (nse.initialRegistrationTime?.getTime() ?? 0) > ours) continue;
      void this.dial(nse.name);
    }
  }

  /** NSM's retry element: every 200 ms for up to 15 s; then never again. Refreshes at a third of the lifetime. */
  private async dial(peer: string, previous?: Connection): Promise<void> {
    const until = Date.now() + 15_000;
    while (!this.stopped && Date.now() < until) {
      try {
        const answer = await this.request(peer, previous);
        this.dialled.set(peer, answer);
        this.state.learnFromAnswer(`dial/${peer}`, answer);
        this.later(() => void this.dial(peer, answer), this.o.lifetimeMs / 3);
        return;
      } catch {
        await new Promise((r) => this.later(() => r(undefined), 200));
      }
    }
  }

  private request(peer: string, previous?: Connection): Promise<Connection> {
    const expires = new Date(Date.now() + this.o.lifetimeMs);
    const first = { name: this.o.name, id: randomUUID(), token: "", expires, metrics: {} };
    const connection: Connection = previous
      ? {
          ...previous,
          path: {
            index: 0,
            pathSegments: previous.path!.pathSegments.map((s, i) => (i === 0 ? { ...s, expires } : s)),
          },
        }
      : {
          id: first.id,
          networkService: this.o.service,
          networkServiceEndpointName: peer,
          payload: "IP",
          state: State.UP,
          labels: {},
          mechanism: undefined,
          context: this.state.peerContext(9000),
          path: { index: 0, pathSegments: [first] },
        };
    const req: NetworkServiceRequest = {
      connection,
      mechanismPreferences: [{ cls: "LOCAL", type: "MEMIF", parameters: {} }],
    };
    return new Promise((resolve, reject) =>
      this.ns!.request(req, new grpc.Metadata(), { deadline: Date.now() + 5000 }, (err, res) =>
        err ? reject(err) : resolve(res),
      ),
    );
  }

  private later(fn: () => void, ms: number): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopped) fn();
    }, ms);
    this.timers.add(t);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.ns?.getChannel().close();
    await this.registration?.stop({ unregister: true });
    await this.prefixSource?.stop({ release: true });
    await this.dns?.close();
    this.server?.forceShutdown();
    this.tokens?.dispose();
  }
}
