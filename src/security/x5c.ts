// Proof of a path token's signer from its own `x5c` header (RFC 7515 §4.1.6): the signer's X.509-SVID
// chain, checked against our trust bundle, whose leaf's one URI SAN must be the token's `sub` and whose
// key must verify the token. vl3-nse adds it to the tokens it signs (NSM ignores unknown header fields),
// so a hop that never met the signer over TLS can still tell who signed. node:crypto and jose only.
import { X509Certificate } from "node:crypto";
import { decodeProtectedHeader } from "jose";
import { parseSpiffeId } from "./spiffe-id.js";
import { signerKeyOf, type TokenVerifier } from "./token.js";
import { spiffeIdOf } from "./x509.js";

/** Trust domain → its CA certificates (Identity.bundles). */
export type TrustBundles = ReadonlyMap<string, readonly X509Certificate[]>;

/** `x5c` header value: the chain's DER, standard base64, leaf first. */
export const x5cOf = (chain: readonly Uint8Array[]): string[] =>
  chain.map((der) => Buffer.from(der).toString("base64"));

/**
 * "proven": the token is signed by an SVID for `sub` that chains to our bundle. "unknown": no x5c, or a
 * chain we cannot anchor (no proof either way). Any other string: why a chain we can anchor refutes
 * the token (a forgery: another ID, a bad signature).
 */
export type X5cVerdict = "proven" | "unknown" | string;

const MAX_CHAIN = 5;

/** A token header's chain, parsed once: every token a signer makes carries the same header. */
interface ParsedChain {
  chain: X509Certificate[];
  /** When every certificate of the chain is valid. */
  fromMs: number;
  toMs: number;
  /** The leaf's SPIFFE ID, or why it has none. */
  leafId: string | Error;
}

/** By the token's header part; bounded (signers are few, each rotating hourly): emptied when full. */
const parsedChains = new Map<string, ParsedChain | null>();
/** Which parsed chains lead to a CA of a given anchor list (a bundle; a rotation brings a new one). */
const anchoredTo = new WeakMap<readonly X509Certificate[], WeakMap<ParsedChain, boolean>>();
const CACHE = 1024;

function parse(token: string): ParsedChain | null {
  const header = token.slice(0, Math.max(0, token.indexOf(".")));
  const known = parsedChains.get(header);
  if (known !== undefined) return known;
  const chain = chainOf(token);
  const parsed = chain
    ? {
        chain,
        fromMs: Math.max(...chain.map((c) => c.validFromDate.getTime())),
        toMs: Math.min(...chain.map((c) => c.validToDate.getTime())),
        leafId: leafIdOf(chain[0]!),
      }
    : null;
  if (parsedChains.size >= CACHE) parsedChains.clear();
  parsedChains.set(header, parsed);
  return parsed;
}

function leafIdOf(leaf: X509Certificate): string | Error {
  try {
    return spiffeIdOf(leaf);
  } catch (e) {
    return e as Error;
  }
}

function chainOf(token: string): X509Certificate[] | undefined {
  let x5c: unknown;
  try {
    x5c = decodeProtectedHeader(token).x5c;
  } catch {
    return undefined;
  }
  if (!Array.isArray(x5c) || x5c.length === 0 || x5c.length > MAX_CHAIN) return undefined;
  try {
    return x5c.map((b64) => new X509Certificate(Buffer.from(String(b64), "base64")));
  } catch {
    return undefined;
  }
}

/** The chain leads, each certificate issued and signed by the next (a CA), to a CA of `anchors`. */
function signedUpTo(chain: readonly X509Certificate[], anchors: readonly X509Certificate[]): boolean {
  for (let i = 0; i + 1 < chain.length; i++) {
    const [c, up] = [chain[i]!, chain[i + 1]!];
    if (!up.ca || !c.checkIssued(up) || !c.verify(up.publicKey)) return false;
  }
  const top = chain[chain.length - 1]!;
  return anchors.some(
    (ca) =>
      ca.fingerprint256 === top.fingerprint256 || (ca.ca && top.checkIssued(ca) && top.verify(ca.publicKey)),
  );
}

/** Within its validity now, and signed up to `anchors` (that part remembered per anchor list). */
function anchored(parsed: ParsedChain, anchors: readonly X509Certificate[], nowMs: number): boolean {
  if (nowMs < parsed.fromMs || nowMs >= parsed.toMs) return false;
  let verdicts = anchoredTo.get(anchors);
  if (!verdicts) {
    verdicts = new WeakMap();
    anchoredTo.set(anchors, verdicts);
  }
  let ok = verdicts.get(parsed);
  if (ok === undefined) {
    ok = signedUpTo(parsed.chain, anchors);
    verdicts.set(parsed, ok);
  }
  return ok;
}

export async function proveByX5c(
  token: string,
  sub: string | undefined,
  bundles: TrustBundles | undefined,
  verifier: Pick<TokenVerifier, "verify">,
  nowMs: number,
): Promise<X5cVerdict> {
  if (!sub || !bundles) return "unknown";
  const parsed = parse(token);
  if (!parsed) return "unknown";
  let td: string;
  try {
    td = parseSpiffeId(sub).trustDomain;
  } catch {
    return "unknown";
  }
  const anchors = bundles.get(td);
  const leaf = parsed.chain[0]!;
  if (!anchors || leaf.ca || !anchored(parsed, anchors, nowMs)) return "unknown";
  if (parsed.leafId instanceof Error) return `x5c leaf: ${parsed.leafId.message}`;
  if (parsed.leafId !== sub) return `x5c certificate is for ${parsed.leafId}, not the token's sub ${sub}`;
  if (!(await verifier.verify(token, signerKeyOf(leaf))))
    return `token is not signed by the key of its x5c certificate (${sub})`;
  return "proven";
}
