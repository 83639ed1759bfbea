// Registry servers that pass calls on (the sandbox's registry proxy and nsmgr proxy, and a registry's
// `@` switch): each call is routed to a target with its request rewritten and every answer, streamed
// Find results included, rewritten back. Caller cancels → upstream cancelled; upstream errors → caller.
import type * as grpc from "@grpc/grpc-js";
import type { Empty } from "../grpc/gen/google/protobuf/empty.js";
import type {
  NetworkService,
  NetworkServiceEndpoint,
  NetworkServiceEndpointQuery,
  NetworkServiceEndpointRegistryClient,
  NetworkServiceEndpointRegistryServer,
  NetworkServiceEndpointResponse,
  NetworkServiceQuery,
  NetworkServiceRegistryClient,
  NetworkServiceRegistryServer,
  NetworkServiceResponse,
} from "../grpc/gen/registry/registry.js";
import { asServiceError } from "../grpc/status.js";
import { defaultTransport, type Transport } from "../grpc/transport.js";
import { endpointRegistryClient, serviceRegistryClient } from "../registry/clients.js";
import { isInterdomain } from "../registry/interdomain.js";
import type { PathSecurity } from "../security/path-security.js";
import { DEFAULT_BACKOFF } from "../util/backoff.js";
import { forwardRegistryCall } from "./registry-hop.js";

/** Where one call goes and how it changes on the way there and back. */
export interface Route<Req, Res> {
  target: string;
  request: Req;
  response?: (r: Res) => Res;
}

type Router<Req, Res> = (request: Req) => Promise<Route<Req, Res>>;

export interface EndpointRoutes {
  register: Router<NetworkServiceEndpoint, NetworkServiceEndpoint>;
  find: Router<NetworkServiceEndpointQuery, NetworkServiceEndpointResponse>;
  unregister: Router<NetworkServiceEndpoint, Empty>;
}

export interface ServiceRoutes {
  register: Router<NetworkService, NetworkService>;
  find: Router<NetworkServiceQuery, NetworkServiceResponse>;
  unregister: Router<NetworkService, Empty>;
}

/** One channel per target and service, kept until closeAll. */
export class RegistryClients {
  private readonly nse = new Map<string, NetworkServiceEndpointRegistryClient>();
  private readonly ns = new Map<string, NetworkServiceRegistryClient>();

  constructor(private readonly transport: Transport = defaultTransport) {}

  endpoint(target: string): NetworkServiceEndpointRegistryClient {
    const c = this.nse.get(target) ?? endpointRegistryClient(target, DEFAULT_BACKOFF, this.transport);
    this.nse.set(target, c);
    return c;
  }

  service(target: string): NetworkServiceRegistryClient {
    const c = this.ns.get(target) ?? serviceRegistryClient(target, DEFAULT_BACKOFF, this.transport);
    this.ns.set(target, c);
    return c;
  }

  closeAll(): void {
    for (const c of [...this.nse.values(), ...this.ns.values()]) c.close();
    this.nse.clear();
    this.ns.clear();
  }
}

// A refusal of our own (RequestError: its status name) keeps its status; it was answered INTERNAL.
const asStatus = asServiceError;

type UnaryFn<Req, Res> = (
  req: Req,
  md: grpc.Metadata,
  opts: Partial<grpc.CallOptions>,
  cb: (err: grpc.ServiceError | null, res: Res) => void,
) => grpc.ClientUnaryCall;

function unaryHop<Req, Res>(
  route: Router<Req, Res>,
  method: (target: string) => { client: grpc.Client; fn: UnaryFn<Req, Res> },
  security: PathSecurity | undefined,
): grpc.handleUnaryCall<Req, Res> {
  return (call, cb) => {
    const deadline = Number(call.getDeadline());
    const timeoutMs = Number.isFinite(deadline) ? Math.max(1, deadline - Date.now()) : 10_000;
    route(call.request)
      .then(async (r) => {
        const { client, fn } = method(r.target);
        // A hop of the registry's path (registry-hop.ts): stamped, checked, the path sent on and back.
        const res = await forwardRegistryCall(call, security, client, fn, r.request, timeoutMs);
        return r.response ? r.response(res) : res;
      })
      .then(
        (res) => cb(null, res),
        (err) => cb(asStatus(err)),
      );
  };
}

function streamHop<Req, Res>(
  route: Router<Req, Res>,
  open: (target: string, req: Req) => grpc.ClientReadableStream<Res>,
): grpc.handleServerStreamingCall<Req, Res> {
  return (call) => {
    let cancelled = false;
    let upstream: grpc.ClientReadableStream<Res> | undefined;
    call.on("cancelled", () => {
      cancelled = true;
      upstream?.cancel();
    });
    route(call.request).then(
      (r) => {
        if (cancelled) return;
        const up = open(r.target, r.request);
        upstream = up;
        up.on("data", (res: Res) => call.write(r.response ? r.response(res) : res));
        up.on("error", (err) => {
          if (!cancelled) call.emit("error", asStatus(err));
        });
        up.on("end", () => {
          if (!cancelled) call.end();
        });
      },
      (err) => call.emit("error", asStatus(err)),
    );
  };
}

/** `security`: path tokens on (the hop's own token on every call, via `clients`' transport, and its
 * segment in the path of each Register and Unregister). Find carries no path, as NSM's. */
export function forwardingEndpointServer(
  routes: EndpointRoutes,
  clients: RegistryClients,
  security?: PathSecurity,
): NetworkServiceEndpointRegistryServer {
  return {
    register: unaryHop(
      routes.register,
      (t) => {
        const client = clients.endpoint(t);
        return { client, fn: client.register as UnaryFn<NetworkServiceEndpoint, NetworkServiceEndpoint> };
      },
      security,
    ),
    find: streamHop(routes.find, (t, q) => clients.endpoint(t).find(q)),
    unregister: unaryHop(
      routes.unregister,
      (t) => {
        const client = clients.endpoint(t);
        return { client, fn: client.unregister as UnaryFn<NetworkServiceEndpoint, Empty> };
      },
      security,
    ),
  };
}

export function forwardingServiceServer(
  routes: ServiceRoutes,
  clients: RegistryClients,
  security?: PathSecurity,
): NetworkServiceRegistryServer {
  return {
    register: unaryHop(
      routes.register,
      (t) => {
        const client = clients.service(t);
        return { client, fn: client.register as UnaryFn<NetworkService, NetworkService> };
      },
      security,
    ),
    find: streamHop(routes.find, (t, q) => clients.service(t).find(q)),
    unregister: unaryHop(
      routes.unregister,
      (t) => {
        const client = clients.service(t);
        return { client, fn: client.unregister as UnaryFn<NetworkService, Empty> };
      },
      security,
    ),
  };
}

/** Whether an entry or query names anything in another domain: its name or any service name. */
export const endpointIsInterdomain = (nse: NetworkServiceEndpoint | undefined) =>
  !!nse && (isInterdomain(nse.name) || nse.networkServiceNames.some(isInterdomain));

/**
 * NSM's registry-memory switch: an `@` name (NS name; NSE name or any service name) goes to the
 * nsmgr proxy unchanged, everything else is served by the local store.
 */
export function interdomainSwitch(
  local: { nse: NetworkServiceEndpointRegistryServer; ns: NetworkServiceRegistryServer },
  proxy: () => string,
  clients: RegistryClients,
  security?: PathSecurity,
): { nse: NetworkServiceEndpointRegistryServer; ns: NetworkServiceRegistryServer } {
  const pass = async <T>(request: T) => ({ target: proxy(), request });
  const nse = forwardingEndpointServer({ register: pass, find: pass, unregister: pass }, clients, security);
  const ns = forwardingServiceServer({ register: pass, find: pass, unregister: pass }, clients, security);
  return {
    nse: {
      register: (call, cb) => (endpointIsInterdomain(call.request) ? nse : local.nse).register(call, cb),
      find: (call) =>
        (endpointIsInterdomain(call.request.networkServiceEndpoint) ? nse : local.nse).find(call),
      unregister: (call, cb) => (endpointIsInterdomain(call.request) ? nse : local.nse).unregister(call, cb),
    },
    ns: {
      register: (call, cb) => (isInterdomain(call.request.name) ? ns : local.ns).register(call, cb),
      find: (call) => (isInterdomain(call.request.networkService?.name ?? "") ? ns : local.ns).find(call),
      unregister: (call, cb) => (isInterdomain(call.request.name) ? ns : local.ns).unregister(call, cb),
    },
  };
}
