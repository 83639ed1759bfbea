// Which identities may peer with this endpoint (NSM_PEER_SPIFFE_IDS), in the same forms as the TLS
// peer setting (authorizer.ts: an ID, a trust domain, a prefix ending in /*). The default is our own
// ID's siblings: with NSM's SPIRE registrations (spiffe://<td>/ns/<namespace>/pod/<pod>) that is
// every pod of our own namespace.
import { authorizerFrom } from "./authorizer.js";
import { parseSpiffeId } from "./spiffe-id.js";

/** This ID's siblings as a prefix: spiffe://td/ns/x/pod/y → spiffe://td/ns/x/pod/*. */
export function siblingsPattern(ownId: string): string {
  const id = parseSpiffeId(ownId);
  const cut = id.path.lastIndexOf("/");
  return cut <= 0 ? `spiffe://${id.trustDomain}` : `spiffe://${id.trustDomain}${id.path.slice(0, cut)}/*`;
}

export interface PeerAllowance {
  test(spiffeId: string): boolean;
  /** What is allowed, for a denial message. */
  readonly describe: string;
}

/**
 * The configured entries, or else our own current ID's siblings (followed through rotation; with no
 * ID yet, nobody). Throws naming `field` when an entry is not an accepted form.
 */
export function peerAllowance(
  entries: readonly string[],
  ownId: () => string | undefined,
  field = "NSM_PEER_SPIFFE_IDS",
): PeerAllowance {
  const allows = (list: readonly string[], id: string) => {
    try {
      return authorizerFrom(list, field)(id, "") === undefined;
    } catch {
      return false; // not a SPIFFE ID at all
    }
  };
  if (entries.length > 0) {
    authorizerFrom(entries, field); // refuse a bad entry now, not at the first peer
    return { test: (id) => allows(entries, id), describe: entries.join(", ") };
  }
  const siblings = () => {
    const own = ownId();
    return own ? siblingsPattern(own) : undefined;
  };
  return {
    test: (id) => {
      const pattern = siblings();
      return pattern !== undefined && allows([pattern], id);
    },
    get describe() {
      return siblings() ?? "nobody (no identity yet)";
    },
  };
}
