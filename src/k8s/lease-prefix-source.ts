// Prefix claims as coordination.k8s.io/v1 Leases (see lease-claim.ts): two endpoints never hold one
// prefix, and the holder is the identity (the node, for a DaemonSet), so a restarted endpoint finds
// its lease and keeps its prefix. Renewed at a third of the duration; a lost lease is claimed again.
import * as k8s from "@kubernetes/client-node";
import { PoolExhaustedError } from "../ipam/errors.js";
import { type Logger, silentLogger } from "../log.js";
import type { PrefixIdentity, PrefixSource } from "../prefix/types.js";
import { Backoff } from "../util/backoff.js";
import { type ApiCall, isStatus } from "./api-calls.js";
import { type Claim, claimPrefix, writeLease } from "./lease-claim.js";
import { type Claimant, type Lease, renewedLease } from "./lease-objects.js";

export const LEASE_API_CALLS = (["get", "list", "create", "update", "delete"] as const).map((verb) => ({
  group: "coordination.k8s.io",
  resource: "leases",
  verb,
})) satisfies readonly ApiCall[];

export interface KubernetesPrefixSourceOptions {
  kubeConfig: k8s.KubeConfig;
  namespace: string;
  /** The network service whose endpoints share the pool (the first of NSM_SERVICE_NAMES). */
  service: string;
  identity: PrefixIdentity;
  /** How long a lease outlives its holder's last renewal (default 60 s). */
  leaseDurationSeconds?: number;
  /** Default: a third of the duration. */
  renewEveryMs?: number;
  /** First delay of the retries of start() and of a lost claim (doubles, with jitter). */
  retryMs?: number;
  log?: Logger;
}

export class KubernetesPrefixSource implements PrefixSource {
  readonly kind = "kubernetes";
  private readonly api: k8s.CoordinationV1Api;
  private readonly log: Logger;
  private readonly claimant: Claimant;
  private readonly listeners = new Set<(prefix: string) => void>();
  private readonly backoff: Backoff;
  private lease: Lease | undefined;
  private held: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** One API operation at a time: a renewal never races a re-claim or the release. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: KubernetesPrefixSourceOptions) {
    this.api = o.kubeConfig.makeApiClient(k8s.CoordinationV1Api);
    this.log = (o.log ?? silentLogger()).child({ prefixSource: "kubernetes", service: o.service });
    const durationSeconds = o.leaseDurationSeconds ?? 60;
    this.claimant = { service: o.service, id: o.identity.id, namespace: o.namespace, durationSeconds };
    this.backoff = new Backoff({ initialMs: o.retryMs ?? 1000, maxMs: 30_000 });
  }

  async start(): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      try {
        const prefix = await this.serial(async () => this.hold(await this.claim()));
        this.backoff.reset();
        this.schedule(this.o.renewEveryMs ?? (this.claimant.durationSeconds * 1000) / 3);
        return prefix;
      } catch (err) {
        // No free prefix, or no permission: retrying will not help.
        const final = err instanceof PoolExhaustedError || isStatus(err, 403) || isStatus(err, 401);
        if (final || attempt >= 4) throw err;
        this.log.warn({ err: (err as Error).message }, "prefix claim failed; retrying");
        await new Promise((r) => setTimeout(r, this.backoff.next()));
      }
    }
  }

  current(): string | undefined {
    return this.held;
  }

  onChange(listener: (prefix: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Renews now (the timer does this every renewEveryMs); a lost lease is claimed again. */
  renew(): Promise<void> {
    return this.serial(() => this.renewOnce());
  }

  async stop(options: { release?: boolean } = {}): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.serial(async () => {
      const lease = this.lease;
      if (options.release && lease) {
        const { name, resourceVersion } = lease.metadata!;
        try {
          // The precondition keeps us from deleting a lease someone else has taken over meanwhile.
          const body = { preconditions: { resourceVersion } };
          await this.api.deleteNamespacedLease({ name: name!, namespace: this.o.namespace, body });
          this.log.info({ prefix: this.held }, "prefix released");
        } catch (err) {
          if (!isStatus(err, 404) && !isStatus(err, 409)) {
            this.log.warn({ err: (err as Error).message }, "could not release the prefix lease");
          }
        }
      }
      this.lease = undefined;
      this.held = undefined;
    });
  }

  private serial<T>(op: () => Promise<T>): Promise<T> {
    const run = this.queue.then(op, op);
    this.queue = run.catch(() => {}); // the error is `run`'s caller's; the queue only keeps the order
    return run;
  }

  /** The next renewal in `delayMs`; after it, every renewEveryMs unless a retry was scheduled instead. */
  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    if (this.stopped) return;
    const every = this.o.renewEveryMs ?? (this.claimant.durationSeconds * 1000) / 3;
    const timer = setTimeout(() => {
      void this.renew().finally(() => {
        if (this.timer === timer) this.schedule(every);
      });
    }, delayMs);
    timer.unref();
    this.timer = timer;
  }

  private claim(): Promise<Claim> {
    return claimPrefix(this.api, this.claimant, this.o.identity);
  }

  private hold(claim: Claim): string {
    this.lease = claim.lease;
    this.held = claim.prefix;
    this.log.info({ prefix: claim.prefix, lease: claim.lease.metadata?.name }, claim.how);
    return claim.prefix;
  }

  private async renewOnce(): Promise<void> {
    if (this.stopped) return;
    const before = this.held;
    if (this.lease) {
      try {
        const renewed = await this.renewLease(this.lease);
        if (renewed) {
          this.lease = renewed;
          return;
        }
        this.log.warn(
          { prefix: before, lease: this.lease.metadata?.name },
          "lost the prefix lease; claiming again",
        );
        this.lease = undefined;
        this.held = undefined;
      } catch (err) {
        // The API server is unreachable: keep the prefix; the lease still runs for a while.
        this.log.warn({ err: (err as Error).message }, "prefix lease renewal failed");
        return;
      }
    }
    try {
      const prefix = this.hold(await this.claim());
      this.backoff.reset();
      if (prefix !== before) for (const l of this.listeners) l(prefix);
    } catch (err) {
      this.log.error({ err: (err as Error).message }, "no prefix: claim failed; retrying");
      this.schedule(this.backoff.next());
    }
  }

  /** The renewed lease, or undefined if it is no longer ours. */
  private async renewLease(lease: Lease): Promise<Lease | undefined> {
    const name = lease.metadata!.name!;
    const namespace = this.o.namespace;
    const replace = (l: Lease) =>
      writeLease(() =>
        this.api.replaceNamespacedLease({ name, namespace, body: renewedLease(this.claimant, l, false) }),
      );
    const renewed = await replace(lease);
    if (renewed) return renewed;
    // A 409 may only mean that our last answer was lost: the lease is still ours if we are its holder.
    let cur: Lease;
    try {
      cur = await this.api.readNamespacedLease({ name, namespace });
    } catch (err) {
      if (isStatus(err, 404)) return undefined;
      throw err;
    }
    return cur.spec?.holderIdentity === this.claimant.id ? replace(cur) : undefined;
  }
}
