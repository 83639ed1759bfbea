// The serving side of the bare vL3 endpoint (bare-vl3.ts): a peer's Request is answered at once with
// our address and prefix as routes, and every connection served is reported on our MonitorConnections
// streams (the initial state, then one UPDATE or DELETE each), as every NSM endpoint's monitor does.
import * as grpc from "@grpc/grpc-js";
import {
  type Connection,
  type ConnectionEvent,
  ConnectionEventType,
  type MonitorConnectionServer,
  type MonitorScopeSelector,
  State,
} from "../grpc/gen/networkservice/connection.js";
import type { NetworkServiceServer } from "../grpc/gen/networkservice/networkservice.js";
import { matchesSelector } from "../grpc/monitor.js";
import { PEER_REQUEST_LABEL } from "../registry/labels.js";
import { statusError } from "../util/grpc.js";

/** A bare endpoint's place in the vL3 pool: its prefix, and its own address in it (a /32). */
export interface BareAddressing {
  prefix: string;
  address: string;
}

export interface BareServing {
  networkService: NetworkServiceServer;
  monitor: MonitorConnectionServer;
  /** Ends every monitor stream being served (the endpoint stops). */
  endAll(): void;
}

/** `link` is told of each peer served (up) and each served link closed (down). */
export function bareServing(o: {
  name: string;
  addressing: BareAddressing;
  link(peer: string, up: boolean): void;
}): BareServing {
  const { prefix, address } = o.addressing;
  const nextHop = address.split("/")[0]!;
  const served = new Map<string, Connection>();
  const watchers = new Set<grpc.ServerWritableStream<MonitorScopeSelector, ConnectionEvent>>();
  const peerOf = (c: Connection) => c.labels[PEER_REQUEST_LABEL] ?? c.path?.pathSegments[0]?.name ?? "";
  const publish = (type: ConnectionEventType, c: Connection) => {
    for (const w of watchers)
      if (matchesSelector(c, w.request)) w.write({ type, connections: { [c.id]: c } });
  };

  return {
    networkService: {
      request: (call, cb) => {
        const { connection: conn, mechanismPreferences } = call.request;
        const ip = conn?.context?.ipContext;
        if (!conn?.path?.pathSegments.length || !ip)
          return cb(
            statusError(
              grpc.status.INVALID_ARGUMENT,
              "connection.path and connection.context.ip_context are required",
            ),
          );
        // The dialler's address and routes stay; ours are added for it to route (NSM's vL3 answer).
        const answer: Connection = {
          ...conn,
          networkServiceEndpointName: o.name,
          state: State.UP,
          mechanism: conn.mechanism ?? mechanismPreferences[0],
          context: {
            ...conn.context!,
            ipContext: {
              ...ip,
              dstIpAddrs: [address],
              srcRoutes: [
                { prefix: address, nextHop: "" },
                { prefix, nextHop },
              ],
            },
          },
          // Ours is the last segment, the one the nsmgr named for us.
          path: { ...conn.path, index: conn.path.pathSegments.length - 1 },
        };
        served.set(answer.id, answer);
        cb(null, answer);
        publish(ConnectionEventType.UPDATE, answer);
        o.link(peerOf(answer), true);
      },
      close: (call, cb) => {
        const known = served.get(call.request.id);
        served.delete(call.request.id);
        cb(null, {});
        if (!known) return;
        publish(ConnectionEventType.DELETE, { ...known, state: State.DOWN });
        o.link(peerOf(known), false);
      },
    },
    monitor: {
      monitorConnections: (call) => {
        const mine = [...served.values()].filter((c) => matchesSelector(c, call.request));
        call.write({
          type: ConnectionEventType.INITIAL_STATE_TRANSFER,
          connections: Object.fromEntries(mine.map((c) => [c.id, c])),
        });
        watchers.add(call);
        const stop = () => watchers.delete(call);
        call.on("cancelled", stop);
        call.on("close", stop);
        call.on("error", stop);
      },
    },
    endAll: () => {
      for (const w of watchers) w.end();
      watchers.clear();
    },
  };
}
