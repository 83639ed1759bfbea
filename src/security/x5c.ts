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
function anchored(
  chain: readonly X509Certificate[],
  anchors: readonly X509Certificate[],
  nowMs: number,
): boolean {
  const live = (c: X509Certificate) => c.validFromDate.getTime() <= nowMs && nowMs < c.validToDate.getTime();
  if (!chain.every(live)) return false;
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

export async function proveByX5c(
  token: string,
  sub: string | undefined,
  bundles: TrustBundles | undefined,
  verifier: Pick<TokenVerifier, "verify">,
  nowMs: number,
): Promise<X5cVerdict> {
  const chain = chainOf(token);
  if (!chain || !sub || !bundles) return "unknown";
  let td: string;
  try {
    td = parseSpiffeId(sub).trustDomain;
  } catch {
    return "unknown";
  }
  const anchors = bundles.get(td);
  const leaf = chain[0]!;
  if (!anchors || leaf.ca || !anchored(chain, anchors, nowMs)) return "unknown";
  let inCert: string;
  try {
    inCert = spiffeIdOf(leaf);
  } catch (e) {
    return `x5c leaf: ${(e as Error).message}`;
  }
  if (inCert !== sub) return `x5c certificate is for ${inCert}, not the token's sub ${sub}`;
  if (!(await verifier.verify(token, signerKeyOf(leaf))))
    return `token is not signed by the key of its x5c certificate (${sub})`;
  return "proven";
}
