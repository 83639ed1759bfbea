// Find matching as NSM's memory registry does it: every empty query field is a wildcard.
import type { NetworkService, NetworkServiceEndpoint } from "../grpc/gen/registry/registry.js";

/**
 * Whether `nse` answers `query`: name exact, network_service_names any-of, labels a subset per
 * service, url a substring. An absent or empty query matches every endpoint.
 */
export function matchEndpoint(
  query: NetworkServiceEndpoint | undefined,
  nse: NetworkServiceEndpoint,
): boolean {
  if (!query) return true;
  if (query.name !== "" && query.name !== nse.name) return false;
  if (query.networkServiceNames.length > 0) {
    if (!query.networkServiceNames.some((s) => nse.networkServiceNames.includes(s))) return false;
  }
  for (const [service, wanted] of Object.entries(query.networkServiceLabels)) {
    const have = nse.networkServiceLabels[service]?.labels;
    if (!have) return false;
    for (const [k, v] of Object.entries(wanted.labels)) if (have[k] !== v) return false;
  }
  return query.url === "" || nse.url.includes(query.url);
}

/** Whether `ns` answers `query`: name exact and payload exact when given. */
export function matchService(query: NetworkService | undefined, ns: NetworkService): boolean {
  if (!query) return true;
  if (query.name !== "" && query.name !== ns.name) return false;
  return query.payload === "" || query.payload === ns.payload;
}
