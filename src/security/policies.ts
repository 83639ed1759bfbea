// NSM's authorization policies as named checks over a path and the TLS peer (NSM writes them in Rego
// under sdk pkg/tools/opa/policies). Each returns why it denies, or undefined; they do no I/O, and
// signatures are checked through the verifier in the input (cached, jose underneath).
import { decodeToken, type SignerKey, type TokenClaims } from "./token.js";
import { proveByX5c, type TrustBundles } from "./x5c.js";

/** One path segment as the policies see it (the registry's path carries only tokens). */
export interface PolicySegment {
  name?: string;
  token: string;
}

export interface PolicyInput {
  /** Server: this hop's index; client: the index the server gave back (the client's own). */
  index: number;
  /** Server: segments [0..index]; client: the whole returned path. */
  segments: PolicySegment[];
  /** The segments' tokens decoded (undefined: not a JWT), in the same order. */
  claims: Array<TokenClaims | undefined>;
  /** The TLS peer: the caller on a server, the server that answered on a client. */
  peer?: { spiffeId: string; key: SignerKey };
  nowMs: number;
  verify(token: string, signer: SignerKey): Promise<boolean>;
  /** Keys this process knows for a SPIFFE ID (its own SVIDs, TLS peers it met): see tokens_signed. */
  keysOf(spiffeId: string): SignerKey[];
  /** Our trust bundles: a token's `x5c` chain anchored in them names its signer (x5c.ts). */
  bundles?: TrustBundles;
}

export interface Policy {
  name: string;
  check(input: PolicyInput): string | undefined | Promise<string | undefined>;
}

const at = (input: PolicyInput, i: number) => {
  const name = input.segments[i]?.name;
  return `path_segments[${i}]${name ? ` (${name})` : ""}`;
};

/** Every segment's token decodes as a JWT (no signature check: that is tokens_signed and *_token_signed). */
export const tokensValid: Policy = {
  name: "tokens_valid",
  check: (input) => {
    const bad = input.claims.indexOf(undefined);
    return bad < 0 ? undefined : `${at(input, bad)}: token is not a JWT`;
  },
};

/** Each token's `aud` (an array) names the next segment's `sub`: one unbroken chain of hops. */
export const tokensChained: Policy = {
  name: "tokens_chained",
  check: (input) => {
    for (let i = 0; i + 1 < input.claims.length; i++) {
      const aud = input.claims[i]?.aud;
      const next = input.claims[i + 1]?.sub;
      if (!Array.isArray(aud) || next === undefined || !aud.includes(next))
        return `${at(input, i)}: aud ${JSON.stringify(aud ?? null)} does not name the next hop ${JSON.stringify(next ?? null)}`;
    }
    return undefined;
  },
};

/** No token has expired: now < exp for every segment. */
export const tokensExpired: Policy = {
  name: "tokens_expired",
  check: (input) => {
    for (let i = 0; i < input.claims.length; i++) {
      const exp = input.claims[i]?.exp;
      if (typeof exp !== "number") return `${at(input, i)}: token has no exp`;
      if (input.nowMs / 1000 >= exp)
        return `${at(input, i)}: token expired at ${new Date(exp * 1000).toISOString()}`;
    }
    return undefined;
  },
};

const signedByPeer = async (input: PolicyInput, i: number, who: string): Promise<string | undefined> => {
  const segment = input.segments[i];
  if (i < 0 || !segment) return `no ${who} segment at path_segments[${i}]`;
  if (!input.peer) return `${at(input, i)}: no TLS peer certificate to check the token against`;
  if (!(await input.verify(segment.token, input.peer.key)))
    return `${at(input, i)}: token is not signed by the TLS peer ${input.peer.spiffeId}`;
  return undefined;
};

/**
 * Server: the caller's segment (index − 1) is signed by the key of the certificate the caller presented,
 * and (beyond NSM, which checks the signature only) its `sub` is the caller's SPIFFE ID: the segment
 * just before us is the TLS peer's own, so the identity it names is proven.
 */
export const prevTokenSigned: Policy = {
  name: "prev_token_signed",
  check: async (input) => {
    const denied = await signedByPeer(input, input.index - 1, "previous");
    if (denied) return denied;
    const sub = input.claims[input.index - 1]?.sub;
    if (sub !== input.peer!.spiffeId)
      return `${at(input, input.index - 1)}: token sub ${JSON.stringify(sub ?? null)} is not the TLS peer ${input.peer!.spiffeId}`;
    return undefined;
  },
};

/** Client: the answering server's segment (index + 1) is signed by the certificate it presented. */
export const nextTokenSigned: Policy = {
  name: "next_token_signed",
  check: (input) => signedByPeer(input, input.index + 1, "next"),
};

/**
 * Beyond NSM, whose tokens_valid only decodes: every token whose signer (its `sub`) has a key known
 * here must verify with one of them, and every token whose `x5c` chain we can anchor must be signed by
 * that chain's leaf, issued for its `sub`. Signers still unknown are not proven (proof.ts), only chained.
 */
export const tokensSigned: Policy = {
  name: "tokens_signed",
  check: async (input) => {
    for (let i = 0; i < input.segments.length; i++) {
      const sub = input.claims[i]?.sub;
      const keys = sub ? input.keysOf(sub) : [];
      const token = input.segments[i]!.token;
      const x5c = await proveByX5c(token, sub, input.bundles, input, input.nowMs);
      if (x5c !== "proven" && x5c !== "unknown") return `${at(input, i)}: ${x5c}`;
      if (keys.length === 0) continue;
      let ok = false;
      for (const key of keys) {
        ok = await input.verify(input.segments[i]!.token, key);
        if (ok) break;
      }
      if (!ok) return `${at(input, i)}: token is not signed by the known key of ${sub}`;
    }
    return undefined;
  },
};

/**
 * NSM's NetworkService server set (common + server) plus tokens_signed. tokens_valid goes first so that
 * a missing token is named as such (NSM's lexical order would report it as unchained; both deny).
 */
export const SERVER_POLICIES: readonly Policy[] = [
  tokensValid,
  tokensChained,
  tokensExpired,
  prevTokenSigned,
  tokensSigned,
];
/** NSM's NetworkService client set (common + client), plus tokens_signed. */
export const CLIENT_POLICIES: readonly Policy[] = [
  tokensValid,
  tokensChained,
  tokensExpired,
  nextTokenSigned,
  tokensSigned,
];

/** The first policy that denies, with its reason; undefined when all pass. In order, as NSM stops at the first. */
export async function firstDenial(
  policies: readonly Policy[],
  input: PolicyInput,
): Promise<{ policy: string; reason: string } | undefined> {
  for (const policy of policies) {
    const reason = await policy.check(input);
    if (reason !== undefined) return { policy: policy.name, reason };
  }
  return undefined;
}

/**
 * NSM's service_connection rule for MonitorConnections, by the path itself: a caller sees a connection
 * only if its SPIFFE ID signed one of the connection's segments (it took part in it). On by default
 * here (NSM ships it off).
 */
export function tookPart(segments: readonly PolicySegment[], spiffeId: string | undefined): boolean {
  if (!spiffeId) return false;
  return segments.some((s) => decodeToken(s.token)?.sub === spiffeId);
}
