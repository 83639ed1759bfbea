// NSM path tokens: an ES256 JWT {sub, aud: [peer], exp} signed with the SVID's key, made by an
// injected generator (as NSM's token.GeneratorFunc) so tests and the sandbox can pass their own.
// Signing and verifying go through jose; this file only decides the claims and the expiry as NSM does.
import type { KeyObject, X509Certificate } from "node:crypto";
import { compactVerify, decodeJwt, decodeProtectedHeader, SignJWT } from "jose";
import { x5cOf } from "./x5c.js";

/** The other side of the TLS connection a token is made for: its SPIFFE ID and when its cert ends. */
export interface TokenPeer {
  spiffeId: string;
  notAfter?: Date;
}

/** A token and the instant it ends (which may be earlier than its `exp`: see spiffeTokenGenerator). */
export interface SignedToken {
  token: string;
  expires: Date;
}

/**
 * Makes this hop's token for a peer (none: a token without `aud`). `presented` is the SHA-256
 * fingerprint of the certificate we showed on the connection the token travels on: the peer checks
 * the token against that certificate, so after a rotation an older connection needs the older key.
 */
export type TokenGenerator = (peer?: TokenPeer, presented?: string) => Promise<SignedToken>;

/** What signs: the current SVID's SPIFFE ID, its private key and its leaf certificate's end. */
export interface TokenSigner {
  spiffeId: string;
  privateKey: KeyObject;
  notAfter?: Date;
  /** The leaf certificate, when known: its fingerprint picks this signer for a connection that showed it. */
  leaf?: X509Certificate;
  /** The SVID chain as DER, leaf first: sent as the token's `x5c` header so any hop can prove the signer. */
  certChain?: readonly Uint8Array[];
}

export interface TokenGeneratorOptions {
  /** The current signer: called for every token, so a rotated SVID signs from the next token on. */
  signer(): TokenSigner;
  /** Recent signers (the current one and those it rotated from), for connections made before a rotation. */
  recent?(): readonly TokenSigner[];
  /** NSM_MAX_TOKEN_LIFETIME. */
  maxLifetimeMs: number;
  now?: () => number;
}

/**
 * NSM's spiffejwt generator: expiry = min(now + max lifetime, own cert's end); `exp` is that in whole
 * seconds. A peer adds `aud: [its SPIFFE ID]` and may lower the returned expiry to its cert's end
 * without changing `exp`, exactly as NSM does (the policies only check now < exp).
 */
export function spiffeTokenGenerator(o: TokenGeneratorOptions): TokenGenerator {
  return async (peer, presented) => {
    const signer =
      (presented && o.recent?.().find((r) => r.leaf?.fingerprint256 === presented)) || o.signer();
    let expires = (o.now ?? Date.now)() + o.maxLifetimeMs;
    if (signer.notAfter && signer.notAfter.getTime() < expires) expires = signer.notAfter.getTime();
    // Key order as golang-jwt writes RegisteredClaims: sub, aud, exp; aud always an array.
    const claims: Record<string, unknown> = { sub: signer.spiffeId };
    if (peer) claims.aud = [peer.spiffeId];
    claims.exp = Math.floor(expires / 1000);
    if (peer?.notAfter && peer.notAfter.getTime() < expires) expires = peer.notAfter.getTime();
    // x5c beyond NSM (which ignores it): hops that never met us over TLS can still prove the signer.
    const header = signer.certChain?.length
      ? { alg: "ES256", typ: "JWT", x5c: x5cOf(signer.certChain) }
      : { alg: "ES256", typ: "JWT" };
    const token = await new SignJWT(claims).setProtectedHeader(header).sign(signer.privateKey);
    return { token, expires: new Date(expires) };
  };
}

/** The claims NSM's policies read. `aud` is kept as sent: a string is not an array (tokens_chained). */
export interface TokenClaims {
  sub?: string;
  aud?: unknown;
  exp?: number;
}

/** Decodes a compact JWT without checking its signature (NSM's io.jwt.decode); undefined if it is not one. */
export function decodeToken(token: string): TokenClaims | undefined {
  if (!token) return undefined;
  try {
    decodeProtectedHeader(token);
    const payload = decodeJwt(token);
    return { sub: payload.sub, aud: payload.aud, exp: payload.exp };
  } catch {
    return undefined;
  }
}

/** A public key a token can be checked against, with a stable id for caching. */
export interface SignerKey {
  /** SHA-256 fingerprint of the certificate the key comes from. */
  id: string;
  key: KeyObject;
}

export const signerKeyOf = (cert: X509Certificate): SignerKey => ({
  id: cert.fingerprint256,
  key: cert.publicKey,
});

/** True if `token` carries a valid ES256 signature by `signer` (claims are not checked here). */
export async function verifySignature(token: string, signer: SignerKey): Promise<boolean> {
  try {
    await compactVerify(token, signer.key, { algorithms: ["ES256"] });
    return true;
  } catch {
    return false;
  }
}

/**
 * Remembers the tokens that verified (by signer and token), so a refresh does not check the whole chain
 * again. Bounded: the oldest entries go first. Failures are not remembered (they end the call anyway).
 */
export class TokenVerifier {
  private readonly verified = new Map<string, true>();
  constructor(private readonly capacity = 4096) {}

  async verify(token: string, signer: SignerKey): Promise<boolean> {
    const key = `${signer.id}|${token}`;
    if (this.verified.has(key)) {
      // Move to the young end: a refreshed connection keeps its entries.
      this.verified.delete(key);
      this.verified.set(key, true);
      return true;
    }
    if (!(await verifySignature(token, signer))) return false;
    this.verified.set(key, true);
    if (this.verified.size > this.capacity) this.verified.delete(this.verified.keys().next().value!);
    return true;
  }

  get size(): number {
    return this.verified.size;
  }
}
