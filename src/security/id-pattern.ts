// SPIFFE ID patterns for who may do what (which identities may peer): a SPIFFE ID whose path
// segments may be `*` (any one segment) or contain `*` (any characters within the segment). The
// default for peers is this endpoint's own ID with its last segment made `*`: with NSM's SPIRE
// registrations (spiffe://<td>/ns/<namespace>/pod/<pod>) that is every pod of its own namespace.
import { parseSpiffeId } from "./spiffe-id.js";

export class IdPatternError extends Error {
  override name = "IdPatternError";
}

/** Parses one pattern; throws naming `field` when it is not a SPIFFE ID with `*` wildcards. */
export function parseIdPattern(pattern: string, field: string): RegExp {
  // Check the shape with the wildcards replaced by a legal segment character.
  try {
    parseSpiffeId(pattern.replaceAll("*", "x"), field);
  } catch (e) {
    throw new IdPatternError((e as Error).message.replace(/"[^"]*x[^"]*" is not/, `"${pattern}" is not`));
  }
  const parts = pattern.split("*").map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${parts.join("[A-Za-z0-9._-]+")}$`);
}

/** Patterns as a test; an empty list allows nobody. */
export function idMatcher(patterns: readonly string[], field: string): (spiffeId: string) => boolean {
  const res = patterns.map((p) => parseIdPattern(p, field));
  return (id) => res.some((re) => re.test(id));
}

/** This ID's siblings: the last path segment made `*` (spiffe://td/ns/x/pod/y → spiffe://td/ns/x/pod/*). */
export function siblingsPattern(ownId: string): string {
  const id = parseSpiffeId(ownId);
  const cut = id.path.lastIndexOf("/");
  return `spiffe://${id.trustDomain}${cut <= 0 ? "" : id.path.slice(0, cut)}/*`;
}

/**
 * Who may peer: the configured patterns, or else our own current ID's siblings (followed through
 * rotation; with no ID yet, nobody). `describe` says which, for the denial message.
 */
export function peerAllowance(
  patterns: readonly string[],
  ownId: () => string | undefined,
  field = "NSM_PEER_SPIFFE_IDS",
): { test(spiffeId: string): boolean; readonly describe: string } {
  if (patterns.length > 0) {
    const matches = idMatcher(patterns, field);
    return { test: matches, describe: patterns.join(", ") };
  }
  const siblings = () => {
    const own = ownId();
    return own ? siblingsPattern(own) : undefined;
  };
  return {
    test: (id) => {
      const pattern = siblings();
      return pattern !== undefined && idMatcher([pattern], field)(id);
    },
    get describe() {
      return siblings() ?? "nobody (no identity yet)";
    },
  };
}
