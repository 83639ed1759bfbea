// The endpoint's IPAM: the prefix it holds (from its prefix source, inside NSM_PREFIX_POOL) and the
// address pool of that prefix. A new or changed prefix is checked against the pool before it is used;
// usage is signalled for metrics at most once per event-loop turn.
import { RequestError } from "../chain/errors.js";
import type { Config } from "../config/config.js";
import { AddressPool } from "../ipam/address-pool.js";
import { parseCidr } from "../ipam/cidr.js";
import type { Logger } from "../log.js";
import type { PrefixSource } from "../prefix/types.js";
import { clip } from "../util/quote.js";
import type { Vl3Addressing } from "./ip-context.js";
import type { LifecycleSignal } from "./observe.js";

export interface EndpointIpamOptions {
  config: Pick<Config, "prefixPool" | "extraRoutes">;
  log: Logger;
  prefixSource: PrefixSource;
  signal: (signal: LifecycleSignal) => void;
}

/** What the endpoint does when the prefix source changes what it holds. */
export interface PrefixFollower {
  /** The prefix changed (already in use here): every connection heals to the new one. */
  changed(prefix: string): void;
  /** The excludes changed: these connections hold an address now excluded. */
  moved(ids: string[]): void;
}

export class EndpointIpam {
  readonly pool;
  private addresses?: AddressPool;
  private signalQueued = false;
  private unsubscribe?: () => void;

  constructor(private readonly o: EndpointIpamOptions) {
    this.pool = parseCidr(o.config.prefixPool, "NSM_PREFIX_POOL");
  }

  get prefix(): string | undefined {
    return this.addresses?.prefix.toString();
  }

  get selfAddress(): string | undefined {
    return this.addresses?.selfAddress;
  }

  /** Whether a prefix is held yet. */
  get held(): boolean {
    return this.addresses !== undefined;
  }

  addressing(): Vl3Addressing {
    if (!this.addresses) throw new RequestError("UNAVAILABLE", "prefix pool is initializing");
    return { pool: this.pool, addresses: this.addresses, extraRoutes: this.o.config.extraRoutes };
  }

  /** Claims a prefix from the source and uses it; rejects if the source fails or gives one outside the pool. */
  async start(): Promise<string> {
    const prefix = await this.o.prefixSource.start();
    this.use(prefix);
    return prefix;
  }

  /** Follows the source's changes until `unfollow`. */
  follow(follower: PrefixFollower): void {
    // Called from the source's own stream or watch handler: a bad prefix is refused here, never thrown.
    this.unsubscribe = this.o.prefixSource.onChange((next) => {
      if (next === this.prefix) {
        follower.moved(this.useExcluded());
        return;
      }
      const unusable = this.unusable(next);
      if (unusable) {
        const prefix = clip(String(next));
        this.o.log.error(
          { prefix, held: this.prefix, reason: unusable },
          "prefix source gave an unusable prefix; kept the one held",
        );
        this.o.signal({ type: "prefix-refused", prefix, source: this.o.prefixSource.kind, reason: unusable });
        return;
      }
      this.o.log.warn({ from: this.prefix, to: next }, "prefix changed; healing connections");
      this.use(next);
      follower.changed(next);
    });
  }

  unfollow(): void {
    this.unsubscribe?.();
  }

  /** Stops the prefix source; `release` gives the prefix back (a clean stop, not a crash). */
  stop(release?: boolean): Promise<void> {
    return this.o.prefixSource.stop({ release });
  }

  /** Frees a connection's address (a rollback that restores the one its caller last received). */
  release(id: string): void {
    if (this.addresses?.release(id)) this.changed();
  }

  /** IPAM usage (for metrics): once per event-loop turn at most, however many addresses changed in it. */
  changed(): void {
    if (this.signalQueued) return;
    this.signalQueued = true;
    setImmediate(() => {
      this.signalQueued = false;
      if (!this.addresses) return;
      const capacity = Number(this.addresses.capacity);
      this.o.signal({ type: "ipam", prefix: this.prefix!, used: this.addresses.used, capacity });
    });
  }

  /** Why `prefix` cannot be this endpoint's, or undefined if it can. */
  private unusable(prefix: string): string | undefined {
    let cidr: ReturnType<typeof parseCidr>;
    try {
      cidr = parseCidr(prefix, "prefix");
    } catch {
      return "not a CIDR";
    }
    return this.pool.containsCidr(cidr) ? undefined : `outside the pool ${this.pool}`;
  }

  private use(prefix: string): void {
    const cidr = parseCidr(prefix, "prefix");
    if (!this.pool.containsCidr(cidr)) throw new Error(`prefix ${prefix} is outside the pool ${this.pool}`);
    this.addresses = new AddressPool(prefix, this.o.prefixSource.excluded?.() ?? []);
    this.o.log.info({ prefix, address: this.addresses.selfAddress }, "prefix held");
    this.o.signal({
      type: "prefix",
      prefix,
      source: this.o.prefixSource.kind,
      address: this.addresses.selfAddress,
    });
    this.changed();
  }

  /** The source's excludes changed: returns the connections holding an address now excluded. */
  private useExcluded(): string[] {
    const excluded = this.o.prefixSource.excluded?.() ?? [];
    const moved = this.addresses?.setExcluded(excluded) ?? [];
    this.o.log.info({ excluded, moved: moved.length }, "excluded prefixes changed");
    return moved;
  }
}
