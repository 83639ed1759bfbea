// A sandbox nsmgr: NSM's per-node manager reduced to what a vL3 needs. It forwards Request/Close to
// the endpoint named in the request or to the first of the service's that answers (nsmgr-select.ts),
// adds its own path segment, serves monitor events of what it forwarded (monitor-hub.ts: DOWN when an
// endpoint's monitor breaks), closes what a client that died left behind (client-gone.ts), forwards
// registrations (nsmgr-registry.ts: where descriptors pass, it reaches each endpoint only through the
// socket descriptor it registered with) and, with a kernel forwarder, wires a veth for every KERNEL
// connection (kernel-link.ts). With path tokens on it stamps and checks tokens as the endpoint chain
// does (updatetoken, authorize with the server policies) and sends its own on every call it forwards.
import { randomUUID } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import { connectionIdOf, updatePath } from "../chain/updatepath.js";
import type { Inode } from "../fd/inode-url.js";
import { tlsPeerOf } from "../grpc/caller.js";
import { currentFdConnection, withFdPassing } from "../grpc/fd-transport.js";
import {
  type Connection,
  type ConnectionEvent,
  MonitorConnectionService,
  type MonitorScopeSelector,
} from "../grpc/gen/networkservice/connection.js";
import {
  type NetworkServiceRequest,
  NetworkServiceService,
} from "../grpc/gen/networkservice/networkservice.js";
import {
  NetworkServiceEndpointRegistryService,
  NetworkServiceRegistryService,
} from "../grpc/gen/registry/registry.js";
import { toServiceError } from "../grpc/status.js";
import { currentTcpConnection, TcpSessions } from "../grpc/tcp-sessions.js";
import { forwardTrace } from "../grpc/trace-headers.js";
import { defaultTransport, type Transport } from "../grpc/transport.js";
import { grpcTarget, parseGrpcUrl } from "../grpc/url.js";
import { type Logger, silentLogger } from "../log.js";
import { endpointRegistryClient, serviceRegistryClient } from "../registry/clients.js";
import type { PathSecurity } from "../security/path-security.js";
import { DEFAULT_BACKOFF } from "../util/backoff.js";
import { closingForGone, TransportEnds } from "./client-gone.js";
import { EndpointCache } from "./endpoint-cache.js";
import { EndpointClients } from "./endpoint-clients.js";
import { closePath, type Forwarded, ForwardedTable, sendClose } from "./forwarded.js";
import { type KernelLink, KernelLinks, type SandboxForwarder } from "./kernel-link.js";
import { MonitorHub } from "./monitor-hub.js";
import { LocalEndpoints, nsmgrEndpointRegistry, nsmgrServiceRegistry } from "./nsmgr-registry.js";
import { type Candidate, endpointChooser } from "./nsmgr-select.js";
import { pathGuard } from "./path-guard.js";

export interface NsmgrOptions {
  name: string;
  listenOn: string;
  registry: string;
  log?: Logger;
  /** How the server is bound and endpoints and the registry are dialled; default plain text. */
  transport?: Transport;
  /** With a kernel forwarder: which network namespace each NSE and NSC lives in. */
  forwarder?: SandboxForwarder;
  /** With descriptors: an endpoint's namespace as passed when it registered (through any nsmgr). */
  endpointNetns?(name: string): { fd: number; inode: Inode } | undefined;
  /** Path tokens: checked on every Request and Close, ours sent on every call (needs mTLS). */
  pathTokens?: PathSecurity;
}

export interface Nsmgr {
  url: string;
  /** The endpoints registered through this nsmgr, with the descriptors they passed (fd-capable only). */
  local?: LocalEndpoints;
  stop(): Promise<void>;
}

const deadlineMs = (d: grpc.Deadline) => {
  const ms = d instanceof Date ? d.getTime() : Number(d);
  return Number.isFinite(ms) ? ms : Date.now() + 15_000;
};

export async function startNsmgr(o: NsmgrOptions): Promise<Nsmgr> {
  const log = (o.log ?? silentLogger()).child({ nsmgr: o.name });
  // Descriptors over unix sockets where the addon is here: endpoints are then reached only through them.
  const { transport, carrier } = withFdPassing(o.transport ?? defaultTransport, true, log);
  const native = carrier?.native;
  const local = native ? new LocalEndpoints(native, (name) => void links?.removeEndpoint(name)) : undefined;
  const links: KernelLinks | undefined =
    o.forwarder &&
    new KernelLinks({
      forwarder: o.forwarder,
      native,
      // Endpoints found by name unless the sandbox passes descriptors (then never by name).
      endpointNetns: native ? o.endpointNetns : undefined,
    });
  const guard = pathGuard(o.name, o.pathTokens);
  const outgoing = guard.outgoing(transport);
  const clients = new EndpointClients(outgoing);
  const registry = endpointRegistryClient(o.registry, DEFAULT_BACKOFF, outgoing);
  const services = serviceRegistryClient(o.registry, DEFAULT_BACKOFF, outgoing);
  const forwarded = new ForwardedTable(); // by our path segment id
  // Our server accepts TCP itself, so that a client whose connection ended can be told from one that
  // only cancelled a call (client-gone.ts); where descriptors pass, the fd carrier knows each socket.
  const sessions = new TcpSessions();
  const serving = transport.withCarriers(sessions);
  const ends = new TransportEnds();
  const transportOf = () => currentFdConnection() ?? currentTcpConnection();
  const hub: MonitorHub = new MonitorHub({
    name: o.name,
    clients,
    forwarded,
    pathTokens: o.pathTokens !== undefined,
    caller: closingForGone({ forwarded, ends, transportOf, log, close: (id) => void closeForwarded(id) }),
  });
  const cache = new EndpointCache(registry);
  const candidates = endpointChooser(cache, registry);

  /** Forwards one Request to `nse`; a failure leaves nothing of it behind (entry, veth). */
  const forward = async (
    call: grpc.ServerUnaryCall<NetworkServiceRequest, Connection>,
    incoming: Connection,
    connection: Connection,
    nse: Candidate,
    known: Forwarded | undefined,
  ): Promise<Connection> => {
    const ours = connection.path!.pathSegments.at(-1)!;
    const target = grpcTarget(parseGrpcUrl(nse.url));
    // We name the NSE's segment (and so its connection id) up front, as NSM lets the previous hop do;
    // a refresh sends the hops after us as they answered (nsmgr proxies of other domains, then the NSE).
    const answered = known?.response.path?.pathSegments ?? [];
    const after = known
      ? answered.slice(answered.findIndex((s) => s.id === ours.id) + 1)
      : [{ name: nse.name, id: randomUUID(), token: "", expires: undefined, metrics: {} }];
    const nseSegment = after.at(-1)!;
    const segments = [...connection.path!.pathSegments, ...after];
    const forwarding = {
      ...connection,
      networkServiceEndpointName: nse.name,
      path: { index: connection.path!.pathSegments.length - 1, pathSegments: segments },
    };
    let link: KernelLink | undefined;
    try {
      // Inside the try: a pod without a namespace (it died) fails like an unreachable endpoint.
      link = await links?.link(
        incoming,
        call.request.mechanismPreferences,
        nse.name,
        nseSegment.id,
        currentFdConnection(),
        deadlineMs(call.getDeadline()),
      );
      if (!known) await link?.create();
      // The caller's trace context goes on, so that the NSE's span joins the caller's trace.
      const response = await clients.request(
        target,
        { ...call.request, connection: forwarding },
        call.getDeadline(),
        forwardTrace(call.metadata),
      );
      await link?.apply(response);
      return response;
    } catch (err) {
      // A refresh the endpoint refused as not its owner's (a take-over), or another identity's that
      // failed for any reason (malformed, out of time): the owner's entry and link stay.
      const code = (err as grpc.ServiceError).code;
      if (known && (code === grpc.status.PERMISSION_DENIED || known.by !== tlsPeerOf(call)?.spiffeId))
        throw err;
      // The endpoint is gone or refused: the next request chooses again. The veth goes with the
      // entry (a refreshed one too): nothing else would remove it, and it holds the NSC's interface name.
      forwarded.delete(ours.id);
      cache.forget(nse.name);
      await link?.remove();
      throw err;
    }
  };

  /**
   * Closes one forwarded connection downstream: for a caller, with its stamped path (the endpoint sees
   * who closes, and refuses another identity: then nothing here changes either), or on behalf of a
   * client that died, with the path as it was.
   */
  const closeForwarded = async (
    id: string,
    caller?: { request: Connection; stamped: Connection; by?: string },
  ) => {
    const known = forwarded.get(id);
    if (!known) return;
    const path = caller ? closePath(caller.stamped, known) : known.response.path;
    const conn = { ...(caller?.request ?? known.response), path };
    if (caller && caller.by !== known.by) {
      // Another identity's Close changes something here only if the endpoint accepted it: any refusal
      // (not only PERMISSION_DENIED: a malformed one, one out of time) goes back to it as it came.
      await clients.close(known.target, conn);
    } else {
      const refused = await sendClose(() => clients.close(known.target, conn), log, id);
      if (refused && caller) throw refused;
    }
    forwarded.delete(id);
    await links?.remove(known.response.id);
  };

  const impl = {
    request: (
      call: grpc.ServerUnaryCall<NetworkServiceRequest, Connection>,
      cb: grpc.sendUnaryData<Connection>,
    ) => {
      void (async () => {
        const incoming = call.request.connection!;
        const via = transportOf();
        const connection = await guard.request(
          updatePath(incoming, { name: o.name, maxTokenLifetimeMs: 600_000 }).connection,
          call,
        );
        const ours = connection.path!.pathSegments.at(-1)!;
        const known = forwarded.get(ours.id);
        // A known connection goes to its endpoint, at the address the registry has for it now: one
        // restarted under its name registered a new socket (with descriptors, a new /proc/<pid>/fd/<n>;
        // the old one is dead). A new connection goes to the first endpoint that answers.
        const now = known && cache.find({ name: known.nse })[0]?.url;
        const choices = known
          ? [{ name: known.nse, url: now ?? known.target }]
          : await candidates(connection);
        let failure: unknown;
        for (const nse of choices) {
          try {
            const response = await forward(call, incoming, connection, nse, known);
            const target = grpcTarget(parseGrpcUrl(nse.url));
            forwarded.set(ours.id, { target, nse: nse.name, response, by: tlsPeerOf(call)?.spiffeId, via });
            hub.watch(target, response.id);
            return cb(null, { ...response, path: { ...response.path!, index: incoming.path?.index ?? 0 } });
          } catch (err) {
            failure = err;
            // The caller's time is up: no other endpoint gets a go.
            const code = (err as grpc.ServiceError).code;
            if (code === grpc.status.DEADLINE_EXCEEDED || code === grpc.status.CANCELLED) break;
          }
        }
        throw failure;
      })().catch((err: grpc.ServiceError) =>
        cb(typeof err.code === "number" ? err : (toServiceError(err) as grpc.ServiceError)),
      );
    },
    close: (call: grpc.ServerUnaryCall<Connection, object>, cb: grpc.sendUnaryData<object>) => {
      void (async () => {
        const id = connectionIdOf(call.request, o.name);
        const stamped = await guard.close(call.request, call);
        await closeForwarded(id, { request: call.request, stamped, by: tlsPeerOf(call)?.spiffeId });
        cb(null, {});
      })().catch((err: grpc.ServiceError) =>
        cb(typeof err.code === "number" ? err : (toServiceError(err) as grpc.ServiceError)),
      );
    },
  };

  const monitor = {
    monitorConnections: (call: grpc.ServerWritableStream<MonitorScopeSelector, ConnectionEvent>) =>
      hub.serve(call),
  };

  const server = serving.server();
  server.addService(NetworkServiceService, impl as never);
  server.addService(MonitorConnectionService, monitor as never);
  if (local) {
    server.addService(
      NetworkServiceEndpointRegistryService,
      nsmgrEndpointRegistry(registry, local, o.pathTokens),
    );
    server.addService(NetworkServiceRegistryService, nsmgrServiceRegistry(services, o.pathTokens));
  }
  const url = grpcTarget(await serving.bind(server, o.listenOn));
  log.info({ url }, "sandbox nsmgr listening");
  return {
    url,
    local,
    stop: async () => {
      await serving.shutdown(server, { force: true });
      hub.closeAll();
      cache.stop();
      clients.closeAll();
      registry.close();
      services.close();
      await links?.closeAll();
      local?.closeAll();
    },
  };
}
