// The dial side of a peer link, through the local nsmgr (NSM_CONNECT_TO): a Request that names the
// peer NSE and carries our mark and our prefix, a monitor of the links, and their Close. With path
// tokens on, the path that comes back must pass NSM's client policies (checked against the nsmgr's
// certificate); a first Request whose answer fails them is closed again, and a Close is sent only for a
// stored path that still passes them against the nsmgr that answered, as NSM's authorize client does.
// Only so many Requests are in flight at once (util/request-window.ts): the others wait their turn,
// their deadline not yet running, so that a busy node answers each before its caller gives up.
import { randomUUID } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import { peerRequestIpContext, type Vl3Addressing } from "../actors/ip-context.js";
import type { PeerLinks, PeerLinkWatcher } from "../actors/peer-effects.js";
import type { MechanismType } from "../chain/mechanism.js";
import type { Logger } from "../log.js";
import { localForm, serviceOf } from "../registry/interdomain.js";
import { PEER_REQUEST_LABEL } from "../registry/labels.js";
import { checkPath, type PathCheckOptions, type PathPeer } from "../security/path-check.js";
import { CLIENT_POLICIES } from "../security/policies.js";
import { RequestWindow, type RequestWindowOptions } from "../util/request-window.js";
import { tlsPeerOf } from "./caller.js";
import {
  type Connection,
  type ConnectionEvent,
  ConnectionEventType,
  MonitorConnectionClient,
  State,
} from "./gen/networkservice/connection.js";
import { NetworkServiceClient, type NetworkServiceRequest } from "./gen/networkservice/networkservice.js";
import { defaultTransport, type Transport } from "./transport.js";
import type { GrpcUrl } from "./url.js";

export interface NsmgrPeerLinksOptions {
  /** The nsmgr. */
  target: GrpcUrl | string;
  /** How the nsmgr is dialled (credentials); default plain text. */
  transport?: Transport;
  /** Our name as registered: the name of our path segment. */
  self: string;
  /** Our qualified name (mesh.ts `identityOf`): the peer mark; peers are named by theirs. */
  identity?: string;
  /** Our domain: a peer there is asked for by its bare name, others by `name@domain`. */
  home?: string;
  service: string;
  requestLabels: Record<string, string>;
  mechanism: MechanismType;
  /** Our network namespace as the preference's `inodeURL` (NSM's kernel and memif clients send it; an
   * inode URL once its descriptor is offered to the nsmgr, else the file URL). */
  netnsUrl?: string;
  addressing(): Vl3Addressing;
  /** Our workload DNS server, told to the peer so that it can fan names out to us (as NSM's vL3 does). */
  dnsAddress?(): string | undefined;
  /** The vL3 MTU we know (asked for on every peer request), and where a peer's lower answer goes. */
  mtu?(): number;
  mtuSeen?(mtu: number): void;
  lifetimeMs: number;
  timeoutMs: number;
  log: Logger;
  /** With path tokens on: NSM's client policies (by default) over the path that comes back. */
  authorize?: Omit<PathCheckOptions, "policies"> & { policies?: PathCheckOptions["policies"] };
  /** How many Requests are in flight at once (request-window.ts; it shrinks once per timeout/2 at most). */
  window?: Omit<RequestWindowOptions, "calmMs">;
  /** Links whose answering nsmgr is remembered for their Close at most (default 4096). */
  answeredMax?: number;
}

/** Ran out of time: the caller's deadline passed, or the nsmgr's or the peer's on the way. */
const late = (err: unknown) => (err as grpc.ServiceError)?.code === grpc.status.DEADLINE_EXCEEDED;

const call = <T>(fn: (cb: (err: grpc.ServiceError | null, res: T) => void) => void) =>
  new Promise<T>((resolve, reject) => fn((err, res) => (err ? reject(err) : resolve(res))));

/** NSM's peer request carries exactly one DNS config: the dialler's server, no search domains. */
function dnsContextOf(address: string | undefined) {
  return address ? { configs: [{ dnsServerIps: [address], searchDomains: [] }] } : undefined;
}

export function nsmgrPeerLinks(o: NsmgrPeerLinksOptions): PeerLinks & { dispose(): void } {
  const transport = o.transport ?? defaultTransport;
  const ns = transport.client(NetworkServiceClient, o.target);
  const monitor = transport.client(MonitorConnectionClient, o.target);
  const deadline = () => new Date(Date.now() + o.timeoutMs);
  const window = new RequestWindow({ ...o.window, calmMs: o.timeoutMs / 2 });
  const ourSegment = (link?: Connection) => link?.path?.pathSegments[0];
  /** The nsmgr that last answered each link (by our segment id): NSM's client checks a Close against it. */
  const answeredBy = new Map<string, PathPeer | undefined>();
  const clientCheck = async (conn: Connection, peer: PathPeer | undefined) => {
    if (!o.authorize) return;
    const path = conn.path;
    await checkPath(path?.pathSegments ?? [], path?.index ?? 0, peer, {
      what: "peer link",
      ...o.authorize,
      policies: o.authorize.policies ?? CLIENT_POLICIES,
    });
  };

  // One monitor stream to the nsmgr for all our links (selected by our name), opened with the first:
  // a stream per link would double the gRPC streams of the mesh. Events go to links by our segment id.
  const watched = new Map<string, PeerLinkWatcher>();
  let shared: grpc.ClientReadableStream<ConnectionEvent> | undefined;
  const fire = (id: string, reason: string) => {
    const watcher = watched.get(id);
    watched.delete(id);
    watcher?.down(reason);
  };
  const openMonitor = () => {
    const stream = monitor.monitorConnections({
      pathSegments: [{ name: o.self, id: "", token: "", expires: undefined, metrics: {} }],
      networkServices: [],
    });
    const before = [...watched.keys()];
    const broken = (reason: string) => {
      if (shared !== stream) return; // ours: cancelled
      shared = undefined;
      stream.cancel();
      for (const id of [...watched.keys()]) fire(id, reason);
    };
    stream.on("data", (event: ConnectionEvent) => {
      const links = Object.values(event.connections).filter((c) => ourSegment(c)?.name === o.self);
      if (event.type === ConnectionEventType.INITIAL_STATE_TRANSFER) {
        // Only links watched before the stream opened: the nsmgr may have sent this before later ones existed.
        const known = new Set(links.map((c) => ourSegment(c)!.id));
        for (const id of before) if (!known.has(id)) fire(id, "peer does not know the link");
        return;
      }
      for (const c of links) {
        if (event.type === ConnectionEventType.DELETE) fire(ourSegment(c)!.id, "peer closed the link");
        else if (c.state === State.DOWN) fire(ourSegment(c)!.id, "link is down");
        // The peer's side changed (its prefix): re-request to learn its new routes.
        else if (c.state === State.REFRESH_REQUESTED) watched.get(ourSegment(c)!.id)?.refresh();
      }
    });
    stream.on("error", (err: grpc.ServiceError) =>
      broken(`monitor stream broke: ${err.details || err.message}`),
    );
    stream.on("end", () => broken("monitor stream ended"));
    return stream;
  };

  const home = o.home ?? "";
  const build = (name: string, link?: Connection): NetworkServiceRequest => {
    const id = ourSegment(link)?.id ?? randomUUID();
    const expires = new Date(Date.now() + o.lifetimeMs);
    const segments = link?.path?.pathSegments.length
      ? link.path.pathSegments.map((s, i) => (i === 0 ? { ...s, expires } : s))
      : [{ name: o.self, id, token: "", expires, metrics: {} }];
    return {
      connection: {
        id,
        // A peer of another domain is reached as NSM reaches it: `svc@domain`, `nse@domain`.
        networkService: serviceOf(name, o.service, home),
        networkServiceEndpointName: localForm(name, home),
        payload: "IP",
        state: State.UP,
        labels: { ...o.requestLabels, [PEER_REQUEST_LABEL]: o.identity ?? o.self },
        // Our current prefix, every time: a refresh after a prefix change carries the new one.
        context: {
          ipContext: peerRequestIpContext(o.addressing()),
          extraContext: {},
          MTU: o.mtu?.() ?? 0,
          dnsContext: dnsContextOf(o.dnsAddress?.()),
          ethernetContext: undefined,
        },
        path: { index: 0, pathSegments: segments },
        mechanism: link?.mechanism,
      },
      mechanismPreferences: [
        { cls: "LOCAL", type: o.mechanism, parameters: o.netnsUrl ? { inodeURL: o.netnsUrl } : {} },
      ],
    };
  };

  return {
    request: async ({ name, link }, signal) => {
      let handle: grpc.ClientUnaryCall | undefined;
      const conn = await window.run(
        () =>
          call<Connection>((cb) => {
            handle = ns.request(build(name, link), new grpc.Metadata(), { deadline: deadline() }, cb);
          }),
        late,
        signal,
      );
      o.mtuSeen?.(conn.context?.MTU ?? 0);
      if (!o.authorize) return conn;
      const peer = handle && tlsPeerOf(handle);
      try {
        await clientCheck(conn, peer);
        // Moved to the end on every answer: the bound below pushes out links no longer refreshed, not live ones.
        const id = ourSegment(conn)?.id ?? "";
        answeredBy.delete(id);
        answeredBy.set(id, peer);
        // Bounded: a link that is never closed (its peer vanished) must not hold an entry for ever.
        if (answeredBy.size > (o.answeredMax ?? 4096)) answeredBy.delete(answeredBy.keys().next().value!);
      } catch (e) {
        // A refresh keeps its link (the next one may pass); a new link is not left half made.
        if (!link)
          await call((cb) => ns.close(conn, new grpc.Metadata(), { deadline: deadline() }, cb)).catch(
            // The refusal below is what the caller needs; a link whose Close failed expires at the peer.
            (err: Error) => o.log.debug({ err: err.message }, "closing a refused new peer link failed"),
          );
        throw e;
      }
      return conn;
    },
    monitor: ({ link }, watcher) => {
      const id = ourSegment(link)?.id ?? "";
      watched.set(id, watcher);
      shared ??= openMonitor();
      return () => {
        if (watched.get(id) === watcher) watched.delete(id);
      };
    },
    close: async ({ link }) => {
      if (!link) return;
      const id = ourSegment(link)?.id ?? "";
      const peer = answeredBy.get(id);
      answeredBy.delete(id);
      try {
        // NSM's authorize client on Close: the stored path, against the last server that answered.
        await clientCheck(link, peer);
      } catch (err) {
        o.log.warn(
          { err: (err as Error).message },
          "not closing a peer link whose path fails; it will expire",
        );
        return;
      }
      await call((cb) => ns.close(link, new grpc.Metadata(), { deadline: deadline() }, cb)).catch((err) =>
        o.log.info({ err: (err as Error).message }, "closing a peer link failed; it will expire"),
      );
    },
    dispose: () => {
      // NetworkServiceClient's own `close` is the Close RPC; close the channel underneath instead.
      const stream = shared;
      shared = undefined;
      stream?.cancel();
      window.clear();
      ns.getChannel().close();
      monitor.close();
    },
  };
}
