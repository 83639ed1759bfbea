// A prefix given by configuration (NSM_PREFIX): nothing to claim, nothing ever changes.
import { parseCidr } from "../ipam/cidr.js";
import type { PrefixSource } from "./types.js";

export class StaticPrefixSource implements PrefixSource {
  readonly kind = "static";
  private held: string | undefined;

  /** `pool`, when given, must contain the prefix (NSM_PREFIX_POOL). */
  constructor(
    private readonly prefix: string,
    private readonly options: { pool?: string } = {},
  ) {}

  async start(): Promise<string> {
    const cidr = parseCidr(this.prefix, "NSM_PREFIX");
    if (this.options.pool !== undefined) {
      const pool = parseCidr(this.options.pool, "NSM_PREFIX_POOL");
      if (!pool.containsCidr(cidr)) throw new Error(`NSM_PREFIX: ${cidr} is not inside the pool ${pool}`);
    }
    this.held = cidr.toString();
    return this.held;
  }

  current(): string | undefined {
    return this.held;
  }

  onChange(_listener: (prefix: string) => void): () => void {
    return () => {};
  }

  async stop(): Promise<void> {
    this.held = undefined;
  }
}
