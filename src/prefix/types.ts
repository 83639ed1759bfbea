// Where an endpoint's prefix comes from. Every source hands out prefixes that no other endpoint of
// the service holds, and gives an endpoint that returns with the same identity its previous prefix.

export interface PrefixSource {
  readonly kind: string;
  /** Claims a prefix; resolves with it. Rejects with a clear error if none can be had. */
  start(): Promise<string>;
  /** The prefix held now, if any. */
  current(): string | undefined;
  /**
   * Prefixes inside the held one that must not be handed to clients (a prefix server's
   * PrefixResponse.exclude_prefixes), as of the latest answer.
   */
  excluded?(): string[];
  /**
   * Called when the held prefix changes (a server gave a different one, a claim was lost and retaken),
   * or when only its excluded prefixes did (then with the same prefix).
   */
  onChange(listener: (prefix: string) => void): () => void;
  /** Stops renewing; `release` also gives the prefix back (a clean shutdown that will not return). */
  stop(options?: { release?: boolean }): Promise<void>;
}

/** Who is asking: the key a source uses to give a restarted endpoint its previous prefix. */
export interface PrefixIdentity {
  /** Endpoint name, or the node name for a DaemonSet (stable across pod restarts). */
  id: string;
  pool: string;
  prefixLen: number;
  /** Prefixes that must not be handed out (for example node or service CIDRs). */
  exclude?: string[];
}
