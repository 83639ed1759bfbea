// The sandbox nsmgr's Request forwarding: a new connection goes to the endpoint named in it or to the
// first of the service's that answers (nsmgr-select.ts), a refresh to the endpoint it already has.
// Kept apart from the nsmgr's Close and monitor wiring (nsmgr.ts): it is the one path that chooses an
// endpoint, names its segment and, with a kernel forwarder, wires the veth before the endpoint sees it.
import { randomUUID } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import { updatePath } from "../chain/updatepath.js";
import { tlsPeerOf } from "../grpc/caller.js";
import { currentFdConnection } from "../grpc/fd-transport.js";
import type { Connection } from "../grpc/gen/networkservice/connection.js";
import type { NetworkServiceRequest } from "../grpc/gen/networkservice/networkservice.js";
import { toServiceError } from "../grpc/status.js";
import { forwardTrace } from "../grpc/trace-headers.js";
import { grpcTarget, parseGrpcUrl } from "../grpc/url.js";
import type { ClientTransport } from "./client-gone.js";
import type { EndpointCache } from "./endpoint-cache.js";
import type { EndpointClients } from "./endpoint-clients.js";
import type { Forwarded, ForwardedTable } from "./forwarded.js";
import type { KernelLink, KernelLinks } from "./kernel-link.js";
import type { MonitorHub } from "./monitor-hub.js";
import type { Candidate } from "./nsmgr-select.js";
import type { PathGuard } from "./path-guard.js";

/** What the nsmgr's Request handler works with; all of it is the nsmgr's, shared with its Close. */
export interface RequestForwarding {
  name: string;
  guard: PathGuard;
  clients: EndpointClients;
  forwarded: ForwardedTable;
  cache: EndpointCache;
  /** The endpoints a new connection may go to, in the order to try them (nsmgr-select.ts). */
  candidates(connection: Connection): Promise<Candidate[]>;
  hub: MonitorHub;
  links?: KernelLinks;
  /** The client's transport the current call came over (client-gone.ts), where the nsmgr can tell. */
  transportOf(): ClientTransport | undefined;
}

type RequestCall = grpc.ServerUnaryCall<NetworkServiceRequest, Connection>;

const deadlineMs = (d: grpc.Deadline) => {
  const ms = d instanceof Date ? d.getTime() : Number(d);
  return Number.isFinite(ms) ? ms : Date.now() + 15_000;
};

/** The nsmgr's NetworkService Request handler. */
export function forwardRequests(o: RequestForwarding) {
  const { clients, forwarded, cache, candidates, hub, links } = o;

  /** Forwards one Request to `nse`; a failure leaves nothing of it behind (entry, veth). */
  const forward = async (
    call: RequestCall,
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

  return (call: RequestCall, cb: grpc.sendUnaryData<Connection>) => {
    void (async () => {
      const incoming = call.request.connection!;
      const via = o.transportOf();
      const connection = await o.guard.request(
        updatePath(incoming, { name: o.name, maxTokenLifetimeMs: 600_000 }).connection,
        call,
      );
      const ours = connection.path!.pathSegments.at(-1)!;
      const known = forwarded.get(ours.id);
      // A known connection goes to its endpoint, at the address the registry has for it now: one
      // restarted under its name registered a new socket (with descriptors, a new /proc/<pid>/fd/<n>;
      // the old one is dead). A new connection goes to the first endpoint that answers.
      const now = known && cache.find({ name: known.nse })[0]?.url;
      const choices = known ? [{ name: known.nse, url: now ?? known.target }] : await candidates(connection);
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
  };
}
