// The bare vL3 endpoint, bench:mesh's lower bound: the protocol job every NSM vL3 endpoint does to form
// a mesh and nothing else (no actors, no chain, no IPAM, no data plane, no tokens). Through its nsmgr it
// registers, watches the registry for its service, dials the peers the name-order rule gives it with its
// prefix, and keeps one monitor stream as a dialler; it answers peers as bare-vl3-serve.ts says.
import { randomUUID } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import { OWN_NETNS_FILE } from "../chain/mechanism.js";
import { endpointOffers } from "../grpc/fd-offers.js";
import { withFdPassing } from "../grpc/fd-transport.js";
import {
  type ConnectionEvent,
  ConnectionEventType,
  MonitorConnectionClient,
  MonitorConnectionService,
  State,
} from "../grpc/gen/networkservice/connection.js";
import {
  NetworkServiceClient,
  type NetworkServiceRequest,
  NetworkServiceService,
} from "../grpc/gen/networkservice/networkservice.js";
import {
  NetworkServiceEndpoint,
  type NetworkServiceEndpointResponse,
} from "../grpc/gen/registry/registry.js";
import { defaultTransport } from "../grpc/transport.js";
import { formatGrpcUrl, parseGrpcUrl } from "../grpc/url.js";
import { silentLogger } from "../log.js";
import { endpointRegistryClient } from "../registry/clients.js";
import { PEER_REQUEST_LABEL } from "../registry/labels.js";
import { dialsPeer, isPeerEndpoint } from "../registry/peer.js";
import { registerEndpoint } from "../registry/register.js";
import { backoffDelay } from "../util/backoff.js";
import { type BareAddressing, bareServing } from "./bare-vl3-serve.js";

export interface BareVl3Options {
  name: string;
  /** The unix:// socket it listens on. */
  listenOn: string;
  /** Its nsmgr (NSM_CONNECT_TO): registration, watch, Requests and monitor all go through it. */
  nsmgr: string;
  service: string;
  addressing: BareAddressing;
  /** Called once, when it first has this many links (dialled and answered, or served). */
  peers: number;
  onMeshed(): void;
  /** Deadline of one peer Request. */
  timeoutMs: number;
}

export interface BareVl3 {
  /** Peers it has a link with now. */
  linked(): number;
  stop(): Promise<void>;
}

/** Its place in the sandbox's vL3 pool (172.16.0.0/16), fixed by its index: 172.16.<i>.0/24. */
export function bareAddressing(index: number): BareAddressing {
  if (!Number.isInteger(index) || index < 0 || index > 255)
    throw new Error(`bare vL3 endpoint index: 0..255, got ${index}`);
  return { prefix: `172.16.${index}.0/24`, address: `172.16.${index}.1/32` };
}

const RETRY = { initialMs: 50, maxMs: 1000 };

export async function startBareVl3(o: BareVl3Options): Promise<BareVl3> {
  const log = silentLogger();
  // As a vl3-nse does: descriptors over its unix sockets, its listening socket and netns offered.
  const { transport, carrier } = withFdPassing(defaultTransport, true, log);
  const nsmgr = parseGrpcUrl(o.nsmgr);
  const offers = endpointOffers(carrier, { netnsFile: OWN_NETNS_FILE, connectTo: nsmgr, registry: nsmgr });
  const links = new Set<string>();
  let meshed = false;
  let stopped = false;
  const link = (peer: string, up: boolean) => {
    if (up) links.add(peer);
    else links.delete(peer);
    if (meshed || links.size < o.peers) return;
    meshed = true;
    o.onMeshed();
  };
  const serving = bareServing({ name: o.name, addressing: o.addressing, link });
  const server = transport.server();
  server.addService(NetworkServiceService, serving.networkService);
  server.addService(MonitorConnectionService, serving.monitor);
  const url = formatGrpcUrl(await transport.bind(server, o.listenOn));
  const registration = registerEndpoint({
    target: nsmgr,
    transport,
    nse: { name: o.name, serviceNames: [o.service], labels: {}, url: offers.registeredUrl(url) },
    expiryMs: 60_000,
    log,
    backoff: RETRY,
  });
  const registry = endpointRegistryClient(nsmgr, RETRY, transport);
  const ns = transport.client(NetworkServiceClient, nsmgr);
  const monitorClient = transport.client(MonitorConnectionClient, nsmgr);
  const timers = new Set<NodeJS.Timeout>();
  let monitor: grpc.ClientReadableStream<ConnectionEvent> | undefined;

  // Our links by our path segment id (the connection id we chose), to the peer each goes to.
  const dialled = new Map<string, string>();
  const request = (peer: string, id: string): NetworkServiceRequest => ({
    connection: {
      id,
      networkService: o.service,
      networkServiceEndpointName: peer,
      payload: "IP",
      state: State.UP,
      labels: { [PEER_REQUEST_LABEL]: o.name },
      // "Route my address and my prefix to me", as a vL3 peer asks.
      context: {
        ipContext: {
          srcIpAddrs: [o.addressing.address],
          dstIpAddrs: [],
          srcIpRequired: false,
          dstIpRequired: false,
          srcRoutes: [],
          dstRoutes: [
            { prefix: o.addressing.address, nextHop: "" },
            { prefix: o.addressing.prefix, nextHop: o.addressing.address.split("/")[0]! },
          ],
          excludedPrefixes: [],
          ipNeighbors: [],
          extraPrefixRequest: [],
          extraPrefixes: [],
          policies: [],
        },
        extraContext: {},
        MTU: 0,
        dnsContext: undefined,
        ethernetContext: undefined,
      },
      mechanism: undefined,
      path: {
        index: 0,
        pathSegments: [{ name: o.name, id, token: "", expires: new Date(Date.now() + 600_000), metrics: {} }],
      },
    },
    mechanismPreferences: [{ cls: "LOCAL", type: "KERNEL", parameters: { inodeURL: offers.netnsUrl } }],
  });
  const dial = (peer: string, id: string, attempt = 0) => {
    dialled.set(id, peer);
    ns.request(request(peer, id), new grpc.Metadata(), { deadline: Date.now() + o.timeoutMs }, (err) => {
      if (stopped) return;
      if (!err) {
        monitor ??= openMonitor();
        return link(peer, true);
      }
      const timer = setTimeout(
        () => {
          timers.delete(timer);
          if (!stopped) dial(peer, id, attempt + 1);
        },
        backoffDelay(attempt, RETRY),
      );
      timers.add(timer);
    });
  };

  // One monitor stream to the nsmgr for all our links (selected by our name), opened with the first:
  // a link it reports down or deleted is down here, and dialled again under a new id.
  const openMonitor = () => {
    const stream = monitorClient.monitorConnections({
      pathSegments: [{ name: o.name, id: "", token: "", expires: undefined, metrics: {} }],
      networkServices: [],
    });
    stream.on("data", (event: ConnectionEvent) => {
      if (stopped || event.type === ConnectionEventType.INITIAL_STATE_TRANSFER) return;
      for (const c of Object.values(event.connections)) {
        const id = c.path?.pathSegments[0]?.id ?? "";
        const peer = dialled.get(id);
        if (!peer || (event.type !== ConnectionEventType.DELETE && c.state !== State.DOWN)) continue;
        dialled.delete(id);
        link(peer, false);
        dial(peer, randomUUID());
      }
    });
    const gone = () => {
      if (monitor === stream) monitor = undefined;
    };
    stream.on("error", gone);
    stream.on("end", gone);
    return stream;
  };

  // Its peers from the registry: every vL3 peer of the service, as each registers.
  const query = NetworkServiceEndpoint.fromPartial({ networkServiceNames: [o.service] });
  const watch = registry.find({ networkServiceEndpoint: query, watch: true });
  const seen = new Set<string>();
  watch.on("data", (r: NetworkServiceEndpointResponse) => {
    const nse = r.networkServiceEndpoint;
    if (stopped || !nse || r.deleted || seen.has(nse.name) || nse.name === o.name) return;
    if (!isPeerEndpoint(nse, o.service)) return;
    seen.add(nse.name);
    if (dialsPeer(o.name, nse.name)) dial(nse.name, randomUUID());
  });
  watch.on("error", () => {}); // its cancellation at stop; a watch broken earlier leaves the mesh unformed

  return {
    linked: () => links.size,
    stop: async () => {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      watch.cancel();
      monitor?.cancel();
      serving.endAll();
      await registration.stop({ unregister: false });
      registry.close();
      ns.getChannel().close();
      monitorClient.close();
      await transport.shutdown(server, { force: true });
      offers.withdraw();
    },
  };
}
