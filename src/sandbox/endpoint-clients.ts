// gRPC clients of the endpoints an nsmgr forwards to, one channel per endpoint URL.
import * as grpc from "@grpc/grpc-js";
import {
  type Connection,
  MonitorConnectionClient,
  type MonitorScopeSelector,
} from "../grpc/gen/networkservice/connection.js";
import {
  NetworkServiceClient,
  type NetworkServiceRequest,
} from "../grpc/gen/networkservice/networkservice.js";
import { normalizeTarget, unary } from "../util/grpc.js";

const FALLBACK_TIMEOUT_MS = 15_000;

export class EndpointClients {
  private readonly channels = new Map<
    string,
    { ns: NetworkServiceClient; monitor: MonitorConnectionClient }
  >();

  private get(target: string) {
    const t = normalizeTarget(target);
    let c = this.channels.get(t);
    if (!c) {
      const credentials = grpc.credentials.createInsecure();
      const ns = new NetworkServiceClient(t, credentials);
      // The monitor shares the NetworkService client's channel.
      c = { ns, monitor: new MonitorConnectionClient(t, credentials, { channelOverride: ns.getChannel() }) };
      this.channels.set(t, c);
    }
    return c;
  }

  request(target: string, request: NetworkServiceRequest, deadline: grpc.Deadline): Promise<Connection> {
    const ms = deadline instanceof Date ? deadline.getTime() - Date.now() : Number(deadline) - Date.now();
    const timeout = Number.isFinite(ms) && ms > 0 ? ms : FALLBACK_TIMEOUT_MS;
    const { ns } = this.get(target);
    return unary(ns as unknown as grpc.Client, ns.request, request, timeout);
  }

  close(target: string, connection: Connection): Promise<unknown> {
    const { ns } = this.get(target);
    return unary(ns as unknown as grpc.Client, ns.close, connection, FALLBACK_TIMEOUT_MS);
  }

  monitor(target: string, selector: MonitorScopeSelector) {
    return this.get(target).monitor.monitorConnections(selector);
  }

  /** Drops the channel to an endpoint that went away. */
  forget(target: string): void {
    const t = normalizeTarget(target);
    this.channels.get(t)?.ns.getChannel().close();
    this.channels.delete(t);
  }

  closeAll(): void {
    for (const c of this.channels.values()) c.ns.getChannel().close();
    this.channels.clear();
  }
}
