// A sandbox NSC: NSM's client chain reduced to what a workload of the vL3 does. It requests the
// service through its nsmgr, refreshes before expiry, re-requests when the NSE asks (REFRESH_REQUESTED),
// and heals when its monitor breaks or the nsmgr says the NSE lost it (DOWN): toward the same NSE for
// a short restore window, then reselecting another (NSM's heal), always offering its previous address
// so that it keeps it where it can.
import { randomUUID } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import {
  type Connection,
  type ConnectionEvent,
  ConnectionEventType,
  MonitorConnectionClient,
  State,
} from "../grpc/gen/networkservice/connection.js";
import { ConnectionContext } from "../grpc/gen/networkservice/connectioncontext.js";
import {
  NetworkServiceClient,
  type NetworkServiceRequest,
} from "../grpc/gen/networkservice/networkservice.js";
import { defaultTransport, type Transport } from "../grpc/transport.js";
import { type Logger, silentLogger } from "../log.js";
import type { TokenGenerator } from "../security/token.js";
import { Backoff } from "../util/backoff.js";
import { describeError, unary } from "../util/grpc.js";

export interface NscOptions {
  name: string;
  nsmgr: string;
  service: string;
  mechanism?: "KERNEL" | "MEMIF";
  lifetimeMs?: number;
  log?: Logger;
  /** How the nsmgr is dialled (credentials); default plain text. */
  transport?: Transport;
  /** Path tokens (NSM's per-RPC credentials) on every call to the nsmgr; needs mTLS underneath. */
  pathTokens?: TokenGenerator;
  /** The MTU its first request asks for (as a forwarder sets it for its tunnel); later ones offer what they got. */
  mtu?: number;
  /**
   * How long a broken connection is asked of the same NSE again (it may be restarting, and only it can
   * give the address back) before another is selected; default 500 ms. NSM's client, without a data-plane
   * check, reselects at once.
   */
  restoreMs?: number;
  /** Told every connection the NSC gets (the kernel sandbox writes its resolv.conf from it). */
  onConnection?(connection: Connection): void | Promise<void>;
}

export class Nsc {
  connection?: Connection;
  heals = 0;
  private readonly ns: NetworkServiceClient;
  private readonly monitor: MonitorConnectionClient;
  private readonly id = randomUUID();
  private readonly log: Logger;
  private refreshTimer?: NodeJS.Timeout;
  private watch?: grpc.ClientReadableStream<ConnectionEvent>;
  private closed = false;
  private healing?: Promise<void>;
  /** When our connection would expire at the NSE without a refresh. */
  private expiresAt = 0;

  constructor(private readonly o: NscOptions) {
    const base = o.transport ?? defaultTransport;
    const transport = o.pathTokens ? base.withPathTokens(o.pathTokens) : base;
    this.ns = transport.client(NetworkServiceClient, o.nsmgr);
    this.monitor = transport.client(MonitorConnectionClient, o.nsmgr, { sharesChannelWith: this.ns });
    this.log = (o.log ?? silentLogger()).child({ nsc: o.name });
  }

  get name(): string {
    return this.o.name;
  }

  get address(): string | undefined {
    return this.connection?.context?.ipContext?.srcIpAddrs[0];
  }

  get endpoint(): string | undefined {
    return this.connection?.networkServiceEndpointName;
  }

  /** Healing now: its connection broke (or a refresh failed) and it is not served again yet. */
  get isHealing(): boolean {
    return this.healing !== undefined;
  }

  get routes(): string[] {
    return (this.connection?.context?.ipContext?.srcRoutes ?? []).map((r) => r.prefix);
  }

  /** Requests the service (bounded retries); resolves once connected. */
  async connect(options: { attempts?: number; reselect?: boolean } = {}): Promise<Connection> {
    const backoff = new Backoff({ initialMs: 50, maxMs: 1000 });
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.request(options.reselect === true || attempt > 1);
      } catch (err) {
        if (attempt >= (options.attempts ?? 40) || this.closed) throw err;
        await new Promise((r) => setTimeout(r, backoff.next()));
      }
    }
  }

  private async request(reselect: boolean): Promise<Connection> {
    const lifetimeMs = this.o.lifetimeMs ?? 60_000;
    const prev = this.connection;
    const ours = {
      name: this.o.name,
      id: this.id,
      token: "",
      expires: new Date(Date.now() + lifetimeMs),
      metrics: {},
    };
    const keepPath = prev && !reselect;
    const req: NetworkServiceRequest = {
      connection: {
        id: this.id,
        networkService: this.o.service,
        // Reselect: let the nsmgr choose; otherwise stay with our NSE.
        networkServiceEndpointName: keepPath ? prev.networkServiceEndpointName : "",
        labels: { podName: this.o.name },
        payload: "IP",
        state: State.UP,
        mechanism: keepPath ? prev.mechanism : undefined,
        // Offer what we had: a healing NSC keeps its address where the NSE can give it.
        context:
          prev?.context ?? (this.o.mtu ? ConnectionContext.fromPartial({ MTU: this.o.mtu }) : undefined),
        path: keepPath
          ? { index: 0, pathSegments: [ours, ...prev.path!.pathSegments.slice(1)] }
          : { index: 0, pathSegments: [ours] },
      },
      mechanismPreferences: [
        { cls: "LOCAL", type: this.o.mechanism ?? "KERNEL", parameters: { name: "nsm-1" } },
      ],
    };
    const res = await unary(this.ns as unknown as grpc.Client, this.ns.request, req, 15_000);
    this.connection = res;
    await this.o.onConnection?.(res);
    this.expiresAt = Date.now() + lifetimeMs;
    this.scheduleRefresh(lifetimeMs);
    this.watchConnection(res);
    return res;
  }

  private scheduleRefresh(lifetimeMs: number): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => void this.heal("refresh", false), lifetimeMs / 3);
    this.refreshTimer.unref();
  }

  private watchConnection(conn: Connection): void {
    this.watch?.cancel();
    const stream = this.monitor.monitorConnections({
      pathSegments: [{ name: this.o.name, id: this.id, token: "", expires: undefined, metrics: {} }],
      networkServices: [],
    });
    this.watch = stream;
    const lost = (why: string) => {
      if (this.watch !== stream || this.closed) return;
      this.watch = undefined;
      stream.cancel();
      void this.heal(why, true);
    };
    stream.on("data", (e: ConnectionEvent) => {
      const mine =
        Object.values(e.connections).find((c) => c.id === conn.id) ?? Object.values(e.connections)[0];
      if (e.type === ConnectionEventType.DELETE) lost("the NSE closed the connection");
      // The nsmgr lost its endpoint's side of it (NSM's DOWN: the control plane is down).
      else if (mine?.state === State.DOWN) lost("the connection is down");
      else if (mine?.state === State.REFRESH_REQUESTED) void this.heal("the NSE asked for a refresh", false);
      else if (e.type === ConnectionEventType.INITIAL_STATE_TRANSFER && !mine)
        lost("the NSE does not know the connection");
    });
    stream.on(
      "error",
      (err: grpc.ServiceError) => err.code !== grpc.status.CANCELLED && lost(describeError(err)),
    );
  }

  /**
   * Re-requests the same NSE: a refresh until our connection there would expire, a broken connection
   * for the restore window (restoreMs); then closes it and reselects any NSE of the service.
   */
  private heal(why: string, broken: boolean): Promise<void> {
    if (this.healing || this.closed) return this.healing ?? Promise.resolve();
    this.log.info({ why }, "re-requesting");
    if (broken) this.heals++;
    this.healing = (async () => {
      const backoff = new Backoff({ initialMs: 50, maxMs: 500 });
      const until = broken
        ? Math.min(this.expiresAt, Date.now() + (this.o.restoreMs ?? 500))
        : this.expiresAt;
      for (;;) {
        try {
          await this.request(false);
          return;
        } catch (err) {
          const delay = backoff.next();
          // NOT_FOUND: it left the registry (a graceful stop, or its entry expired); nothing to wait for.
          const gone = (err as grpc.ServiceError).code === grpc.status.NOT_FOUND;
          if (this.closed || gone || Date.now() + delay >= until) {
            this.log.info({ err: describeError(err) }, "the same NSE did not answer in time; reselecting");
            break;
          }
          await new Promise((r) => setTimeout(r, delay));
        }
      }
      // As NSM's reselect does: Close first (whatever is left of it), then choose again, in that order:
      // the same endpoint may be chosen, and a late Close must not meet the new connection there.
      const old = this.connection;
      if (old && !this.closed)
        await unary(this.ns as unknown as grpc.Client, this.ns.close, old, 1000).catch((e) =>
          this.log.debug({ err: describeError(e) }, "Close of the old connection failed (its NSE is gone)"),
        );
      if (this.closed) return;
      await this.connect({ reselect: true }).catch((e) =>
        this.log.warn({ err: describeError(e) }, "healing failed"),
      );
    })().finally(() => {
      this.healing = undefined;
    });
    return this.healing;
  }

  /** Closes the connection and the client. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.refreshTimer);
    this.watch?.cancel();
    await this.healing;
    if (this.connection) {
      // A Close that fails leaves nothing here: the nsmgr and the NSE let the connection expire.
      await unary(this.ns as unknown as grpc.Client, this.ns.close, this.connection, 5000).catch((e) =>
        this.log.debug({ err: describeError(e) }, "Close failed; the connection will expire"),
      );
    }
    this.ns.getChannel().close();
  }
}
