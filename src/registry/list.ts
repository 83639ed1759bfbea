// A one-shot registry Find (no watch): every matching endpoint, complete when the stream ends.
import type {
  NetworkServiceEndpoint,
  NetworkServiceEndpointRegistryClient,
  NetworkServiceEndpointResponse,
} from "../grpc/gen/registry/registry.js";

export function listEndpoints(
  client: NetworkServiceEndpointRegistryClient,
  query: NetworkServiceEndpoint,
  timeoutMs: number,
): Promise<NetworkServiceEndpoint[]> {
  return new Promise((resolve, reject) => {
    const found: NetworkServiceEndpoint[] = [];
    const stream = client.find(
      { networkServiceEndpoint: query, watch: false },
      { deadline: Date.now() + timeoutMs },
    );
    stream.on("data", (r: NetworkServiceEndpointResponse) => {
      if (r.networkServiceEndpoint && !r.deleted) found.push(r.networkServiceEndpoint);
    });
    stream.on("error", reject);
    stream.on("end", () => resolve(found));
  });
}
