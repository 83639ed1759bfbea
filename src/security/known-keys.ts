// The public keys this process has met, by SPIFFE ID: its own SVIDs and the certificates its TLS peers
// presented. tokens_signed checks any token whose signer is here, beyond what NSM's policies check.
// Bounded both ways (a few keys per ID, a fixed number of IDs), oldest first out.
import type { SignerKey } from "./token.js";
import type { TrustBundles } from "./x5c.js";

export class KnownKeys {
  private readonly byId = new Map<string, SignerKey[]>();
  constructor(
    private readonly maxIds = 1024,
    /** Keys kept per ID: the current certificate and those it rotated from, still signing live tokens. */
    private readonly perId = 4,
  ) {}

  add(spiffeId: string, key: SignerKey): void {
    const keys = this.byId.get(spiffeId) ?? [];
    this.byId.delete(spiffeId);
    this.byId.set(spiffeId, [key, ...keys.filter((k) => k.id !== key.id)].slice(0, this.perId));
    if (this.byId.size > this.maxIds) this.byId.delete(this.byId.keys().next().value!);
  }

  keysOf = (spiffeId: string): SignerKey[] => this.byId.get(spiffeId) ?? [];

  /** Our current trust bundles (set from the identity): tokens' x5c chains are checked against them. */
  bundles?: () => TrustBundles | undefined;
}
