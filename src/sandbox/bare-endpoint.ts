// The lower bound of the mesh benchmark: a NetworkService server that answers every Request at once
// (no chain, no actors, no data plane), and the Request a peer link would send to it. It serves
// MonitorConnections as every NSM endpoint does (nothing to report), so that the nsmgr keeps one monitor
// stream to it, as to a vl3-nse, instead of opening one per link that fails UNIMPLEMENTED.
import * as grpc from "@grpc/grpc-js";
import {
  type Connection,
  type ConnectionEvent,
  ConnectionEventType,
  MonitorConnectionService,
  type MonitorScopeSelector,
  State,
} from "../grpc/gen/networkservice/connection.js";
import {
  NetworkServiceClient,
  type NetworkServiceRequest,
  NetworkServiceService,
} from "../grpc/gen/networkservice/networkservice.js";
import { defaultTransport, type Transport } from "../grpc/transport.js";

export async function startBareEndpoint(
  name: string,
  listenOn: string,
  transport = defaultTransport,
): Promise<grpc.Server> {
  const server = transport.server();
  server.addService(NetworkServiceService, {
    request: (
      call: grpc.ServerUnaryCall<NetworkServiceRequest, Connection>,
      cb: grpc.sendUnaryData<Connection>,
    ) => cb(null, { ...call.request.connection!, networkServiceEndpointName: name, state: State.UP }),
    close: (_: unknown, cb: grpc.sendUnaryData<object>) => cb(null, {}),
  } as never);
  server.addService(MonitorConnectionService, {
    monitorConnections: (call: grpc.ServerWritableStream<MonitorScopeSelector, ConnectionEvent>) =>
      call.write({ type: ConnectionEventType.INITIAL_STATE_TRANSFER, connections: {} }),
  } as never);
  await transport.bind(server, listenOn);
  return server;
}

export function linkRequest(from: string, to: string, service: string): NetworkServiceRequest {
  const id = `${from}-${to}`;
  return {
    connection: {
      id,
      networkService: service,
      networkServiceEndpointName: to,
      payload: "IP",
      state: State.UP,
      labels: {},
      context: undefined,
      mechanism: undefined,
      path: {
        index: 0,
        pathSegments: [{ name: from, id, token: "", expires: new Date(Date.now() + 600_000), metrics: {} }],
      },
    },
    mechanismPreferences: [{ cls: "LOCAL", type: "KERNEL", parameters: {} }],
  };
}

/** `from`'s Requests to every one of `to` through its nsmgr on one channel, all in flight together. */
export async function dialAll(o: {
  from: string;
  to: string[];
  nsmgr: string;
  service: string;
  timeoutMs: number;
  transport?: Transport;
}): Promise<void> {
  const client = (o.transport ?? defaultTransport).client(NetworkServiceClient, o.nsmgr);
  try {
    await Promise.all(
      o.to.map(
        (to) =>
          new Promise((resolve, reject) =>
            client.request(
              linkRequest(o.from, to, o.service),
              new grpc.Metadata(),
              { deadline: Date.now() + o.timeoutMs },
              (err, res) => (err ? reject(err) : resolve(res)),
            ),
          ),
      ),
    );
  } finally {
    client.getChannel().close();
  }
}
