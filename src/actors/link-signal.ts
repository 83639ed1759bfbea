// Builds the `link` lifecycle signal from a connection: the plain facts (labels, addresses, DNS
// servers) that observers such as workload DNS need, without handing them the connection itself.
import type { Connection } from "../grpc/gen/networkservice/connection.js";
import type { LinkSignal } from "./observe.js";

export function linkSignal(
  id: string,
  kind: "client" | "peer",
  connection: Connection | undefined,
  up: boolean,
  o: { dialled?: boolean } = {},
): LinkSignal {
  const ip = connection?.context?.ipContext;
  return {
    type: "link",
    id,
    kind,
    up,
    connectionId: connection?.id ?? "",
    networkService: connection?.networkService ?? "",
    endpointName: connection?.networkServiceEndpointName ?? "",
    payload: connection?.payload ?? "",
    labels: { ...(connection?.labels ?? {}) },
    addresses: [...((o.dialled ? ip?.dstIpAddrs : ip?.srcIpAddrs) ?? [])],
    dnsServers: (connection?.context?.dnsContext?.configs ?? []).flatMap((c) => c.dnsServerIps),
  };
}
