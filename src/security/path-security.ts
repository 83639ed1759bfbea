// What one process needs for path tokens: its generator (the SVID's key by default, or an injected
// one), the cache of verified tokens, and the keys it knows (its own SVIDs as they rotate). Built
// once by the composition root and shared by the chain and the dialling side.
import type { Identity, IdentitySource } from "./identity.js";
import { KnownKeys } from "./known-keys.js";
import { signerKeyOf, spiffeTokenGenerator, type TokenGenerator, TokenVerifier } from "./token.js";

/** SVIDs kept for older connections: an hourly rotation leaves the last few hours' connections covered. */
const RECENT = 4;

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
  keys.bundles = () => identity?.current()?.bundles;
  /** Our SVIDs, newest first: connections made before a rotation still show an older one. */
  const recent: Identity[] = [];
  const learn = (i: Identity) => {
    keys.add(i.spiffeId, signerKeyOf(i.leaf));
    recent.unshift(i);
    recent.splice(RECENT);
  };
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
      recent: () => recent,
      maxLifetimeMs: o.maxTokenLifetimeMs,
    });
  return { generate, verifier: new TokenVerifier(), keys, dispose: () => stop?.() };
}
