// gRPC clients of the endpoints an nsmgr forwards to, one channel per endpoint URL.
import type * as grpc from "@grpc/grpc-js";
import {
  type Connection,
  type ConnectionEvent,
  MonitorConnectionClient,
  MonitorConnectionService,
  type MonitorScopeSelector,
} from "../grpc/gen/networkservice/connection.js";
import {
  NetworkServiceClient,
  type NetworkServiceRequest,
} from "../grpc/gen/networkservice/networkservice.js";
import { relayedStream } from "../grpc/relay.js";
import { defaultTransport, type Transport } from "../grpc/transport.js";
import { grpcTarget, parseGrpcUrl } from "../grpc/url.js";
import { unary } from "../util/grpc.js";

const FALLBACK_TIMEOUT_MS = 15_000;
const RECONNECT = { initialMs: 50, maxMs: 1000 };

export class EndpointClients {
  private readonly channels = new Map<
    string,
    { ns: NetworkServiceClient; monitor: MonitorConnectionClient }
  >();

  constructor(private readonly transport: Transport = defaultTransport) {}

  private get(target: string) {
    const t = key(target);
    let c = this.channels.get(t);
    if (!c) {
      // An endpoint that restarts on the same socket is dialled again soon (grpc-js: up to 2 min).
      const ns = this.transport.client(NetworkServiceClient, t, { backoff: RECONNECT });
      // The monitor shares the NetworkService client's channel.
      const monitor = this.transport.client(MonitorConnectionClient, t, { sharesChannelWith: ns });
      c = { ns, monitor };
      this.channels.set(t, c);
    }
    return c;
  }

  request(
    target: string,
    request: NetworkServiceRequest,
    deadline: grpc.Deadline,
    metadata?: grpc.Metadata,
  ): Promise<Connection> {
    const ms = deadline instanceof Date ? deadline.getTime() - Date.now() : Number(deadline) - Date.now();
    const timeout = Number.isFinite(ms) && ms > 0 ? ms : FALLBACK_TIMEOUT_MS;
    const { ns } = this.get(target);
    return unary(ns as unknown as grpc.Client, ns.request, request, timeout, metadata);
  }

  close(target: string, connection: Connection): Promise<unknown> {
    const { ns } = this.get(target);
    return unary(ns as unknown as grpc.Client, ns.close, connection, FALLBACK_TIMEOUT_MS);
  }

  /** The endpoint's events, each going on to our callers as the bytes it came as when written unchanged. */
  monitor(target: string, selector: MonitorScopeSelector): grpc.ClientReadableStream<ConnectionEvent> {
    const method = MonitorConnectionService.monitorConnections;
    return relayedStream(this.get(target).monitor, method, selector, { read: true });
  }

  /** Drops the channel to an endpoint that went away. */
  forget(target: string): void {
    const t = key(target);
    this.channels.get(t)?.ns.getChannel().close();
    this.channels.delete(t);
  }

  closeAll(): void {
    for (const c of this.channels.values()) c.ns.getChannel().close();
    this.channels.clear();
  }
}

/** One channel per endpoint, whichever way its URL is written. */
const key = (target: string) => grpcTarget(parseGrpcUrl(target));
