// Which peer SPIFFE IDs a TLS handshake accepts (go-spiffe's authorizer). Default, as NSM's
// AuthorizeAny within one trust domain: any ID of our own trust domain. Configured, a list whose
// entries are an exact ID, a trust domain's ID (spiffe://td: any ID in it) or a prefix ending in
// "/*" (spiffe://td/ns/a/*: any ID below that path). Who may do what is left to the path tokens.
import { parseSpiffeId } from "./spiffe-id.js";

/** Says why `peerId` is refused, or undefined when it is accepted. */
export type Authorizer = (peerId: string, ownTrustDomain: string) => string | undefined;

/** Any ID of the caller's own trust domain. */
export const sameTrustDomain: Authorizer = (peerId, own) => {
  const td = parseSpiffeId(peerId).trustDomain;
  return td === own ? undefined : `${peerId} is not in the trust domain ${own}`;
};

/** An authorizer from the entries of a setting (`field` is named in errors); empty: sameTrustDomain. */
export function authorizerFrom(entries: readonly string[], field: string): Authorizer {
  if (entries.length === 0) return sameTrustDomain;
  const exact = new Set<string>();
  const domains = new Set<string>();
  const prefixes: string[] = [];
  for (const raw of entries) {
    const star = raw.endsWith("/*");
    const id = parseSpiffeId(star ? raw.slice(0, -2) : raw, field);
    if (star) prefixes.push(`${id.uri}/`);
    else if (id.path === "") domains.add(id.trustDomain);
    else exact.add(id.uri);
  }
  return (peerId) => {
    const id = parseSpiffeId(peerId);
    if (exact.has(id.uri) || domains.has(id.trustDomain) || prefixes.some((p) => id.uri.startsWith(p))) {
      return undefined;
    }
    return `${id.uri} is not among the accepted SPIFFE IDs (${field})`;
  };
}
