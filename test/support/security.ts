// Identities for tests: a CA per trust domain and an IdentitySource whose SVID the test rotates by hand.
import type { Identity, IdentitySource } from "../../src/security/identity.js";

/** An IdentitySource the test drives: `set` issues (first) or rotates (later) the identity. */
export class ManualIdentitySource implements IdentitySource {
  private identity: Identity | undefined;
  private readonly listeners = new Set<(i: Identity) => void>();
  private waiters: ((i: Identity) => void)[] = [];

  constructor(initial?: Identity) {
    this.identity = initial;
  }

  current(): Identity | undefined {
    return this.identity;
  }

  ready(): Promise<Identity> {
    return this.identity
      ? Promise.resolve(this.identity)
      : new Promise((resolve) => this.waiters.push(resolve));
  }

  onRotate(listener: (i: Identity) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  set(identity: Identity): void {
    const first = !this.identity;
    this.identity = identity;
    if (first) for (const w of this.waiters.splice(0)) w(identity);
    else for (const l of this.listeners) l(identity);
  }
}
