// The one place where a GrpcUrl becomes a gRPC client or a bound server. Credentials, channel and
// server options, interceptors and the carrier of bytes are chosen here, so mTLS, fd passing and
// tracing each change this file (or plug a provider into it) instead of every client and server.
import { setTimeout as sleep } from "node:timers/promises";
import * as grpc from "@grpc/grpc-js";
import type { TokenGenerator } from "../security/token.js";
import type { BackoffOptions } from "../util/backoff.js";
import { clientKeepalive, type Keepalive, serverKeepalive } from "./keepalive.js";
import { describeListenError, kindOfListenError } from "./listen-errors.js";
import { PathTokenCredentials } from "./token-credentials.js";
import { formatGrpcUrl, type GrpcUrl, grpcTarget, toGrpcUrl } from "./url.js";

/**
 * Where credentials come from, asked once per client or bound URL. A rotating identity (SPIFFE
 * SVIDs) returns credentials built on grpc-js certificate providers
 * (createCertificateProviderChannelCredentials / ...ServerCredentials), so a rotation reaches
 * live channels and servers without rebuilding them.
 */
export interface CredentialsProvider {
  /** For logs and errors: "insecure", "spiffe", ... */
  readonly name: string;
  channel(url: GrpcUrl): grpc.ChannelCredentials;
  server(url: GrpcUrl): grpc.ServerCredentials;
  /** Channel options these credentials need (SPIFFE: a fixed TLS server name, as peers are not named by host). */
  readonly channelOptions?: grpc.ChannelOptions;
}

/** Plain text. Only for NSM_INSECURE=true (issue 11) and for tests of that mode. */
export const insecureCredentials: CredentialsProvider = {
  name: "insecure",
  channel: () => grpc.credentials.createInsecure(),
  server: () => grpc.ServerCredentials.createInsecure(),
};

/**
 * Carries gRPC for the URLs it handles instead of grpc-js's own sockets (fd passing over unix
 * sockets). The client side wraps the provider's credentials (their secure connector is where an
 * fd-capable socket is swapped in); the server side accepts connections itself and hands them to
 * grpc-js through a connection injector made with the provider's server credentials.
 */
export interface CarrierListener {
  /** Where it listens, if that differs from the URL asked for (TCP port 0 resolved). */
  url?: GrpcUrl;
  close(): void;
  destroy?(): Promise<void>;
}

export interface Carrier {
  handles(url: GrpcUrl): boolean;
  channel(credentials: grpc.ChannelCredentials, url: GrpcUrl): grpc.ChannelCredentials;
  /** Options its clients' channels need (how grpc-js dials). */
  channelOptions?(url: GrpcUrl): grpc.ChannelOptions;
  /** Starts accepting on `url`; resolves once listening. `close` stops accepting (connections drain
   * with the server's shutdown); `destroy`, after the shutdown, ends any connection still open. */
  listen(url: GrpcUrl, injector: grpc.ConnectionInjector): Promise<CarrierListener>;
}

export interface TransportOptions {
  credentials?: CredentialsProvider;
  carriers?: Carrier[];
  /** Options of every client channel (keepalive, message sizes). */
  channelOptions?: grpc.ChannelOptions;
  /** Options of every server (keepalive, message sizes). */
  serverOptions?: grpc.ServerOptions;
  /** Dead-peer detection on every client and server (keepalive.ts); default DEFAULT_KEEPALIVE. */
  keepalive?: Keepalive;
  /** Interceptors of every outbound call (tracing propagation, per-call tokens). */
  interceptors?: grpc.Interceptor[];
  /** Interceptors of every inbound call. */
  serverInterceptors?: grpc.ServerInterceptor[];
  /** Path tokens on every outbound call (NSM's per-RPC credentials), made by this generator. */
  pathTokens?: TokenGenerator;
  /** grpc-js's reconnect timing of every channel whose client gives no backoff; default DEFAULT_RECONNECT. */
  reconnect?: BackoffOptions;
}

export interface ClientOptions {
  /** grpc-js's reconnect timing follows this backoff (default: the transport's `reconnect`). */
  backoff?: BackoffOptions;
  channelOptions?: grpc.ChannelOptions;
  /** Share that client's channel (one connection for several services of one peer). */
  sharesChannelWith?: Pick<grpc.Client, "getChannel">;
}

/** A generated (ts-proto) client class. */
export type ClientConstructor<C> = new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: Partial<grpc.ClientOptions>,
) => C;

export interface BindOptions {
  /** How long a port in use is waited for (a predecessor still closing); default 1 s. */
  inUseForMs?: number;
  /** Attempts at a transient error (see listen-errors.ts); default 20. */
  transientAttempts?: number;
  /** Pause between attempts; default 50 ms. */
  retryEveryMs?: number;
}

/** A bind that failed for good: the URL and the reason, e.g. "EADDRINUSE (address in use)". */
export class ListenError extends Error {
  override name = "ListenError";
  constructor(
    readonly url: GrpcUrl,
    readonly reason: string,
  ) {
    super(`cannot listen on ${formatGrpcUrl(url)}: ${reason}`);
  }
}

export class Transport {
  readonly credentials: CredentialsProvider;
  /** What carriers listen on, by server and URL. */
  private readonly carried = new WeakMap<grpc.Server, Map<string, CarrierListener>>();

  constructor(private readonly options: TransportOptions = {}) {
    this.credentials = options.credentials ?? insecureCredentials;
  }

  /** This transport with more options; interceptors are added after this one's (tracing). */
  with(more: TransportOptions): Transport {
    const interceptors = [...(this.options.interceptors ?? []), ...(more.interceptors ?? [])];
    return new Transport({ ...this.options, ...more, interceptors });
  }

  /** This transport with more carriers (tried after its own); same credentials and options. */
  withCarriers(...carriers: Carrier[]): Transport {
    return new Transport({ ...this.options, carriers: [...(this.options.carriers ?? []), ...carriers] });
  }

  /** A client of `Ctor` for `url` (a string is parsed as a GrpcUrl). */
  client<C>(Ctor: ClientConstructor<C>, url: GrpcUrl | string, o: ClientOptions = {}): C {
    const u = toGrpcUrl(url);
    const carrier = this.carrierFor(u);
    const base = this.credentials.channel(u);
    const carried = carrier ? carrier.channel(base, u) : base;
    const credentials = this.options.pathTokens
      ? new PathTokenCredentials(carried, this.options.pathTokens)
      : carried;
    const options: Partial<grpc.ClientOptions> = {
      ...clientKeepalive(this.options.keepalive),
      ...this.credentials.channelOptions,
      ...carrier?.channelOptions?.(u),
      ...this.options.channelOptions,
      ...reconnectOptions(o.backoff ?? this.options.reconnect ?? DEFAULT_RECONNECT),
      ...o.channelOptions,
    };
    if (this.options.interceptors?.length) options.interceptors = this.options.interceptors;
    if (o.sharesChannelWith) options.channelOverride = o.sharesChannelWith.getChannel();
    return new Ctor(grpcTarget(u), credentials, options);
  }

  /** The same transport, whose clients also send path tokens made by `generate` on every call. */
  withPathTokens(generate: TokenGenerator): Transport {
    return new Transport({ ...this.options, credentials: this.credentials, pathTokens: generate });
  }

  /** A server with this transport's options and interceptors; add services, then `bind` it. */
  server(options: grpc.ServerOptions = {}): grpc.Server {
    const interceptors = this.options.serverInterceptors ?? [];
    return new grpc.Server({
      ...serverKeepalive(this.options.keepalive),
      ...this.options.serverOptions,
      ...options,
      ...(interceptors.length ? { interceptors } : {}),
    });
  }

  /**
   * Binds `server` to `url` and resolves with the bound URL (TCP port 0 resolved). Only what time
   * can fix is retried (listen-errors.ts); anything else rejects at once with a ListenError.
   */
  async bind(server: grpc.Server, url: GrpcUrl | string, o: BindOptions = {}): Promise<GrpcUrl> {
    const u = toGrpcUrl(url);
    const carrier = this.carrierFor(u);
    if (carrier) {
      const listener = await carrier.listen(u, server.createConnectionInjector(this.credentials.server(u)));
      const carried = this.carried.get(server) ?? new Map<string, CarrierListener>();
      const bound = listener.url ?? u;
      this.carried.set(server, carried.set(formatGrpcUrl(bound), listener));
      return bound;
    }
    const inUseUntil = Date.now() + (o.inUseForMs ?? 1000);
    for (let attempt = 1; ; attempt++) {
      try {
        const port = await new Promise<number>((resolve, reject) => {
          server.bindAsync(grpcTarget(u), this.credentials.server(u), (err, p) =>
            err ? reject(err) : resolve(p),
          );
        });
        return u.kind === "unix" ? u : { ...u, port };
      } catch (err) {
        const kind = kindOfListenError(err);
        const again =
          (kind === "in-use" && Date.now() < inUseUntil) ||
          (kind === "transient" && attempt < (o.transientAttempts ?? 20));
        if (!again) throw new ListenError(u, describeListenError(err));
        await sleep(o.retryEveryMs ?? 50);
      }
    }
  }

  /** Releases one URL that `bind` bound (the server goes on serving its others). */
  unbind(server: grpc.Server, url: GrpcUrl): void {
    const carried = this.carried.get(server)?.get(formatGrpcUrl(url));
    if (carried) {
      carried.close();
      void carried.destroy?.();
      this.carried.get(server)?.delete(formatGrpcUrl(url));
      return;
    }
    server.unbind(grpcTarget(url));
  }

  /** Stops `server`: gracefully within `graceMs`, then by force (at once with `force`). */
  async shutdown(server: grpc.Server, o: { force?: boolean; graceMs?: number } = {}): Promise<void> {
    const listeners = [...(this.carried.get(server)?.values() ?? [])];
    this.carried.delete(server);
    for (const listener of listeners) listener.close();
    if (o.force) server.forceShutdown();
    else {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, o.graceMs ?? 2000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    await Promise.all(listeners.map((l) => l.destroy?.()));
  }

  private carrierFor(url: GrpcUrl): Carrier | undefined {
    return this.options.carriers?.find((c) => c.handles(url));
  }
}

/**
 * How every channel reconnects unless its client says otherwise. grpc-js's own default starts at 1 s
 * and grows by 1.6 per failed attempt up to 120 s, reset only by a connection that succeeds: a channel
 * to an endpoint that was down a while (killed, then restarted under the same address) refuses every
 * call at once until its timer runs out, so the peers' and the nsmgr's calls to the endpoint that is
 * back fail for up to two minutes. A failed attempt is one refused connect: a short cap costs little.
 */
export const DEFAULT_RECONNECT: BackoffOptions = { initialMs: 100, maxMs: 2000 };

/** Channel options that make grpc-js's own reconnect timing follow the caller's backoff. */
export function reconnectOptions(backoff: BackoffOptions): grpc.ChannelOptions {
  return {
    "grpc.initial_reconnect_backoff_ms": Math.max(1, backoff.initialMs),
    "grpc.max_reconnect_backoff_ms": Math.max(1, backoff.maxMs),
  };
}

/** The transport of everything built without one: plain text, as before issue 11. */
export const defaultTransport = new Transport();
