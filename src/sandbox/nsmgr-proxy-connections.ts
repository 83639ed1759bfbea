// The sandbox nsmgr proxy's data side: a Request for an endpoint the registry side remembered
// (nsmgr-proxy-registry.ts) goes to its real URL unchanged; any other has its `@domain` stripped and is
// found in this domain's registry. Close follows the same way; monitor events come from what it forwarded.
// Everything here is the pod's memory: release() forgets it, as a restarted NSM nsmgr proxy does.
import * as grpc from "@grpc/grpc-js";
import { connectionIdOf, updatePath } from "../chain/updatepath.js";
import type {
  Connection,
  ConnectionEvent,
  MonitorScopeSelector,
  PathSegment,
} from "../grpc/gen/networkservice/connection.js";
import type { NetworkServiceRequest } from "../grpc/gen/networkservice/networkservice.js";
import { NetworkServiceEndpoint } from "../grpc/gen/registry/registry.js";
import { toServiceError } from "../grpc/status.js";
import type { Logger } from "../log.js";
import { target } from "../registry/interdomain.js";
import { listEndpoints } from "../registry/list.js";
import { describeError, statusError } from "../util/grpc.js";
import type { EndpointClients } from "./endpoint-clients.js";
import { closePath, ForwardedTable, sendClose } from "./forwarded.js";
import { MonitorHub } from "./monitor-hub.js";
import type { PathGuard } from "./path-guard.js";
import type { RegistryClients } from "./registry-forward.js";

export interface ProxyConnectionsOptions {
  name: string;
  /** This domain's registry, where a stripped request's endpoint is found. */
  registry: () => string;
  /** Endpoint name to its real URL, kept by the registry side (interdomainbypass). */
  bypass: ReadonlyMap<string, string>;
  guard: PathGuard;
  clients: EndpointClients;
  registryClients: RegistryClients;
  /** Path tokens on: monitor callers see only the connections whose path they signed. */
  pathTokens: boolean;
  log: Logger;
}

/** Names as the far side knows them: a missed request loses its `@domain`. */
const strip = (c: Connection): Connection => ({
  ...c,
  networkService: target(c.networkService),
  networkServiceEndpointName: target(c.networkServiceEndpointName),
});

export function proxyConnections(o: ProxyConnectionsOptions) {
  const { bypass, clients, registryClients, guard, log } = o;
  let forwarded = new ForwardedTable();
  /** Our segment ids of the connections whose names we stripped (a miss), for refresh and Close. */
  let stripping = new Set<string>();
  let hub = new MonitorHub({ name: o.name, clients, forwarded, pathTokens: o.pathTokens });

  /** The local endpoint a stripped request is for: by name, else one of the service. */
  const discover = async (c: Connection): Promise<string> => {
    const query = NetworkServiceEndpoint.fromPartial(
      c.networkServiceEndpointName
        ? { name: c.networkServiceEndpointName }
        : { networkServiceNames: [c.networkService] },
    );
    const found = await listEndpoints(registryClients.endpoint(o.registry()), query, 5000).catch((err) => {
      throw statusError(grpc.status.UNAVAILABLE, `registry: ${describeError(err)}`);
    });
    const live = found.filter((e) => (e.expirationTime?.getTime() ?? Infinity) > Date.now());
    if (live.length === 0) {
      const what = c.networkServiceEndpointName || `network service ${c.networkService}`;
      throw statusError(grpc.status.NOT_FOUND, `${o.name}: no endpoint for ${what} in this domain`);
    }
    return live[0]!.url;
  };

  const request = async (
    req: NetworkServiceRequest,
    call: grpc.ServerUnaryCall<NetworkServiceRequest, Connection>,
  ): Promise<Connection> => {
    const incoming = req.connection!;
    const connection = await guard.request(
      updatePath(incoming, { name: o.name, maxTokenLifetimeMs: 600_000 }).connection,
      call,
    );
    const segments = connection.path!.pathSegments;
    const ours = segments.at(-1)!;
    const known = forwarded.get(ours.id);
    const hit = bypass.get(incoming.networkServiceEndpointName);
    const stripped = known ? stripping.has(ours.id) : hit === undefined;
    const to = known?.target ?? hit ?? (await discover(strip(incoming)));
    // The hops after us: from our last answer on a refresh; else the endpoint's segment the first hop named.
    let after: PathSegment[] = [];
    if (known) {
      const path = known.response.path?.pathSegments ?? [];
      after = path.slice(path.findIndex((s) => s.id === ours.id) + 1);
    } else {
      const next = incoming.path?.pathSegments[(incoming.path?.index ?? 0) + 1];
      if (next && next.name === incoming.networkServiceEndpointName)
        after = [stripped ? { ...next, name: target(next.name) } : next];
    }
    const out = stripped ? strip(connection) : connection;
    const forward = {
      ...out,
      path: { index: segments.length - 1, pathSegments: [...segments, ...after] },
    };
    let response: Connection;
    try {
      response = await clients.request(to, { ...req, connection: forward }, Date.now() + 15_000);
    } catch (err) {
      // A refused refresh (not its owner's) leaves the owner's forwarding as it was.
      if (known && (err as grpc.ServiceError).code === grpc.status.PERMISSION_DENIED) throw err;
      forwarded.delete(ours.id);
      stripping.delete(ours.id);
      throw err;
    }
    forwarded.set(ours.id, { target: to, nse: forward.networkServiceEndpointName, response });
    if (stripped) stripping.add(ours.id);
    hub.watch(to, response.id);
    return {
      ...response,
      networkService: incoming.networkService,
      networkServiceEndpointName: incoming.networkServiceEndpointName,
      path: { ...response.path!, index: incoming.path?.index ?? 0 },
    };
  };

  /** A Close whose tokens passed: forwarded with the closer's path and the hops after us as they answered. */
  const closeChecked = async (request: Connection, stamped: Connection): Promise<void> => {
    const id = connectionIdOf(request, o.name);
    const known = forwarded.get(id);
    if (!known) return;
    const c = stripping.has(id) ? strip(request) : request;
    const conn = { ...c, path: closePath(stamped, known) };
    const refused = await sendClose(() => clients.close(known.target, conn), log, id);
    if (refused) throw refused; // another identity's Close: the owner's connection stays
    forwarded.delete(id);
    stripping.delete(id);
  };

  const impl = {
    request: (
      call: grpc.ServerUnaryCall<NetworkServiceRequest, Connection>,
      cb: grpc.sendUnaryData<Connection>,
    ) => {
      request(call.request, call).then(
        (r) => cb(null, r),
        (err: grpc.ServiceError) =>
          cb(typeof err.code === "number" ? err : (toServiceError(err) as grpc.ServiceError)),
      );
    },
    close: (call: grpc.ServerUnaryCall<Connection, object>, cb: grpc.sendUnaryData<object>) => {
      guard
        .close(call.request, call)
        .then((stamped) => closeChecked(call.request, stamped))
        .then(
          () => cb(null, {}),
          (err: grpc.ServiceError) =>
            cb(typeof err.code === "number" ? err : (toServiceError(err) as grpc.ServiceError)),
        );
    },
  };
  const monitor = {
    monitorConnections: (call: grpc.ServerWritableStream<MonitorScopeSelector, ConnectionEvent>) =>
      hub.serve(call),
  };

  return {
    impl,
    monitor,
    /** Connections passing through now (tests count them). */
    forwarding: () => forwarded.matching({ pathSegments: [], networkServices: [] }).length,
    /** A restart: the monitor streams end and everything forwarded is forgotten. */
    release: () => {
      hub.closeAll();
      stripping = new Set();
      forwarded = new ForwardedTable();
      hub = new MonitorHub({ name: o.name, clients, forwarded, pathTokens: o.pathTokens });
    },
  };
}
