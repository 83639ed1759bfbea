// What one process needs for path tokens: its generator (the SVID's key by default, or an injected
// one), the cache of verified tokens, and the keys it knows (its own SVIDs as they rotate). Built
// once by the composition root and shared by the chain and the dialling side.
import type { IdentitySource } from "./identity.js";
import { KnownKeys } from "./known-keys.js";
import { signerKeyOf, spiffeTokenGenerator, type TokenGenerator, TokenVerifier } from "./token.js";

export interface PathSecurity {
  generate: TokenGenerator;
  verifier: TokenVerifier;
  keys: KnownKeys;
  /** Stops following the identity's rotations. */
  dispose(): void;
}

export interface PathSecurityOptions {
  identity?: IdentitySource;
  /** Injected generator (tests, the sandbox); default: ES256 with the identity's current SVID. */
  generate?: TokenGenerator;
  maxTokenLifetimeMs: number;
}

/** Undefined when there is neither identity nor generator: plain text, no tokens (NSM_INSECURE). */
export function pathSecurity(o: PathSecurityOptions): PathSecurity | undefined {
  const identity = o.identity;
  if (!identity && !o.generate) return undefined;
  const keys = new KnownKeys();
  const learn = (i: { spiffeId: string; leaf: Parameters<typeof signerKeyOf>[0] }) =>
    keys.add(i.spiffeId, signerKeyOf(i.leaf));
  const current = identity?.current();
  if (current) learn(current);
  const stop = identity?.onRotate(learn);
  const generate =
    o.generate ??
    spiffeTokenGenerator({
      signer: () => {
        const now = identity!.current();
        if (!now) throw new Error("no SVID yet: the Workload API has not issued one");
        return now;
      },
      maxLifetimeMs: o.maxTokenLifetimeMs,
    });
  return { generate, verifier: new TokenVerifier(), keys, dispose: () => stop?.() };
}
