// A sandbox nsmgr: NSM's per-node manager reduced to what a vL3 needs. It forwards Requests
// (nsmgr-forward.ts) and Closes to the endpoint it chose, adds its own path segment, serves monitor
// events of what it forwarded (monitor-hub.ts: DOWN when an endpoint's monitor breaks), closes what a
// client that died left behind (client-gone.ts), forwards registrations (nsmgr-registry.ts,
// nsmgr-service-registry.ts: where descriptors pass, it reaches each endpoint only through the socket
// descriptor it registered with) and, with a kernel forwarder, wires a veth for every KERNEL
// connection (kernel-link.ts). With path tokens on it stamps and checks tokens as the endpoint chain
// does (updatetoken, authorize with the server policies) and sends its own on every call it forwards.
import type * as grpc from "@grpc/grpc-js";
import { connectionIdOf } from "../chain/updatepath.js";
import type { Inode } from "../fd/inode-url.js";
import { tlsPeerOf } from "../grpc/caller.js";
import { currentFdConnection, withFdPassing } from "../grpc/fd-transport.js";
import {
  type Connection,
  type ConnectionEvent,
  MonitorConnectionService,
  type MonitorScopeSelector,
} from "../grpc/gen/networkservice/connection.js";
import { NetworkServiceService } from "../grpc/gen/networkservice/networkservice.js";
import {
  NetworkServiceEndpointRegistryService,
  NetworkServiceRegistryService,
} from "../grpc/gen/registry/registry.js";
import { toServiceError } from "../grpc/status.js";
import { currentTcpConnection, TcpSessions } from "../grpc/tcp-sessions.js";
import { defaultTransport, type Transport } from "../grpc/transport.js";
import { grpcTarget } from "../grpc/url.js";
import { type Logger, silentLogger } from "../log.js";
import { endpointRegistryClient, serviceRegistryClient } from "../registry/clients.js";
import type { PathSecurity } from "../security/path-security.js";
import { DEFAULT_BACKOFF } from "../util/backoff.js";
import { closingForGone, TransportEnds } from "./client-gone.js";
import { EndpointCache } from "./endpoint-cache.js";
import { EndpointClients } from "./endpoint-clients.js";
import { closePath, ForwardedTable, sendClose } from "./forwarded.js";
import { KernelLinks, type SandboxForwarder } from "./kernel-link.js";
import { MonitorHub } from "./monitor-hub.js";
import { forwardRequests } from "./nsmgr-forward.js";
import { LocalEndpoints } from "./nsmgr-local-endpoints.js";
import { nsmgrEndpointRegistry } from "./nsmgr-registry.js";
import { endpointChooser } from "./nsmgr-select.js";
import { nsmgrServiceRegistry } from "./nsmgr-service-registry.js";
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
  const request = forwardRequests({
    name: o.name,
    guard,
    clients,
    forwarded,
    cache,
    candidates,
    hub,
    links,
    transportOf,
  });

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
    request,
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
