// Which endpoints an nsmgr offers a Request to: the one it names, or every live endpoint of the network
// service, in round-robin order. As NSM's roundrobin element does, the nsmgr tries them in that order
// until one answers, so an endpoint that died but is still registered costs a failed dial, not a
// failed Request.
import * as grpc from "@grpc/grpc-js";
import type { Connection } from "../grpc/gen/networkservice/connection.js";
import {
  NetworkServiceEndpoint,
  type NetworkServiceEndpointRegistryClient,
} from "../grpc/gen/registry/registry.js";
import { listEndpoints } from "../registry/list.js";
import { statusError } from "../util/grpc.js";
import type { EndpointCache } from "./endpoint-cache.js";

export interface Candidate {
  name: string;
  url: string;
}

export function endpointChooser(cache: EndpointCache, registry: NetworkServiceEndpointRegistryClient) {
  let next = 0;
  return async (conn: Connection): Promise<Candidate[]> => {
    const name = conn.networkServiceEndpointName;
    const query = name ? { name } : { service: conn.networkService };
    const cached = cache.find(query);
    // Not (yet) in the cache: one that registered a moment ago, or the cache's watch is down.
    const found =
      cached.length > 0
        ? cached
        : await cache.lookUp(query, () =>
            listEndpoints(
              registry,
              NetworkServiceEndpoint.fromPartial(
                name ? { name } : { networkServiceNames: [conn.networkService] },
              ),
              5000,
            ),
          );
    const live = found.filter((e) => !e.expirationTime || e.expirationTime.getTime() > Date.now());
    if (live.length === 0) {
      const what = name || `network service ${conn.networkService}`;
      throw statusError(grpc.status.NOT_FOUND, `no endpoint for ${what}`);
    }
    const first = next++ % live.length;
    return [...live.slice(first), ...live.slice(0, first)].map((e) => ({ name: e.name, url: e.url }));
  };
}
