// The sandbox's nsmgr proxy, NSM's cmd-nsmgr-proxy: a domain's door for connections and a hop of its
// registry chain. Registry side: entries pass on to the registry proxy with their URL swapped for ours,
// remembering the real one (interdomainbypass). Data side: a Request for a remembered endpoint goes
// to that URL unchanged; any other has its `@domain` stripped and is found in the local registry.
import * as grpc from "@grpc/grpc-js";
import { connectionIdOf, updatePath } from "../chain/updatepath.js";
import {
  type Connection,
  type ConnectionEvent,
  MonitorConnectionService,
  type MonitorScopeSelector,
  type PathSegment,
} from "../grpc/gen/networkservice/connection.js";
import {
  type NetworkServiceRequest,
  NetworkServiceService,
} from "../grpc/gen/networkservice/networkservice.js";
import {
  NetworkServiceEndpoint,
  NetworkServiceEndpointRegistryService,
  NetworkServiceRegistryService,
} from "../grpc/gen/registry/registry.js";
import { type Services, serveRestartable } from "../grpc/restartable.js";
import { toServiceError } from "../grpc/status.js";
import { defaultTransport, type Transport } from "../grpc/transport.js";
import { type Logger, silentLogger } from "../log.js";
import { target } from "../registry/interdomain.js";
import { listEndpoints } from "../registry/list.js";
import type { PathSecurity } from "../security/path-security.js";
import { describeError, statusError } from "../util/grpc.js";
import { EndpointClients } from "./endpoint-clients.js";
import { closePath, ForwardedTable, sendClose } from "./forwarded.js";
import { MonitorHub } from "./monitor-hub.js";
import { pathGuard } from "./path-guard.js";
import { forwardingEndpointServer, forwardingServiceServer, RegistryClients } from "./registry-forward.js";
import type { ProxyServer } from "./registry-proxy.js";

export interface NsmgrProxyOptions {
  name: string;
  listenOn: string;
  /** This domain's registry (strip-and-discover) and its registry proxy (where registry calls go). */
  registry: () => string;
  registryProxy: () => string;
  log?: Logger;
  /** How it is bound and dials (credentials); default plain text. */
  transport?: Transport;
  /** Path tokens: checked on every Request and Close, ours sent on every call (needs mTLS). */
  pathTokens?: PathSecurity;
}

export interface NsmgrProxy extends ProxyServer {
  /** Connections passing through now (tests count them). */
  forwarding(): number;
}

/** Names as the far side knows them: a missed request loses its `@domain`. */
const strip = (c: Connection): Connection => ({
  ...c,
  networkService: target(c.networkService),
  networkServiceEndpointName: target(c.networkServiceEndpointName),
});

export async function startNsmgrProxy(o: NsmgrProxyOptions): Promise<NsmgrProxy> {
  const log = (o.log ?? silentLogger()).child({ nsmgrProxy: o.name });
  let url = o.listenOn;
  // Everything below is the pod's memory: a restart loses it, as NSM's does.
  let bypass = new Map<string, string>();
  const transport = o.transport ?? defaultTransport;
  const guard = pathGuard(o.name, o.pathTokens);
  const clients = new EndpointClients(guard.outgoing(transport));
  const registryClients = new RegistryClients(guard.outgoing(transport));
  let forwarded = new ForwardedTable();
  /** Our segment ids of the connections whose names we stripped (a miss), for refresh and Close. */
  let stripping = new Set<string>();
  let hub = new MonitorHub({ name: o.name, clients, forwarded, pathTokens: o.pathTokens !== undefined });

  const nseRegistry = forwardingEndpointServer(
    {
      register: async (entry) => {
        bypass.set(entry.name, entry.url);
        return {
          target: o.registryProxy(),
          request: { ...entry, url },
          response: (r) => ({ ...r, url: entry.url }),
        };
      },
      find: async (query) => ({
        target: o.registryProxy(),
        request: query,
        response: (r) => {
          const e = r.networkServiceEndpoint;
          if (!e) return r;
          // A local registration wins (LoadOrStore); our own URL is never a way on (a restart forgot it).
          if (!r.deleted && e.url !== url && !bypass.has(e.name)) bypass.set(e.name, e.url);
          return { ...r, networkServiceEndpoint: { ...e, url } };
        },
      }),
      unregister: async (entry) => {
        bypass.delete(entry.name);
        return { target: o.registryProxy(), request: { ...entry, url } };
      },
    },
    registryClients,
    o.pathTokens,
  );
  const pass = async <T>(request: T) => ({ target: o.registryProxy(), request });
  const nsRegistry = forwardingServiceServer(
    { register: pass, find: pass, unregister: pass },
    registryClients,
    o.pathTokens,
  );

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

  return serveRestartable(
    transport,
    o.listenOn,
    [
      [NetworkServiceService, impl],
      [MonitorConnectionService, monitor],
      [NetworkServiceEndpointRegistryService, nseRegistry],
      [NetworkServiceRegistryService, nsRegistry],
    ] as Services,
    {
      announce: { log, name: "nsmgr proxy" },
      // The bound port: what the registry entries we forward name.
      bound: (bound) => {
        url = bound;
      },
      release: () => {
        hub.closeAll();
        clients.closeAll();
        registryClients.closeAll();
        bypass = new Map();
        stripping = new Set();
        forwarded = new ForwardedTable();
        hub = new MonitorHub({ name: o.name, clients, forwarded, pathTokens: o.pathTokens !== undefined });
      },
      extra: {
        forwarding: () => forwarded.matching({ pathSegments: [], networkServices: [] }).length,
      },
    },
  );
}
