// Claiming a prefix with Leases: keep the one this identity holds, else take the lowest prefix of
// the pool that nobody holds: CREATE its lease (atomic: 409 AlreadyExists means another endpoint
// won) or, if its holder stopped renewing, UPDATE it with its resourceVersion (409 Conflict: lost).
import type * as k8s from "@kubernetes/client-node";
import { PoolExhaustedError } from "../ipam/errors.js";
import { PrefixAllocator } from "../ipam/prefix-allocator.js";
import type { PrefixIdentity } from "../prefix/types.js";
import { isStatus } from "./api-calls.js";
import { leaseName, serviceSelector } from "./lease-names.js";
import {
  type Claimant,
  fittingPrefix,
  freshLease,
  isLapsed,
  type Lease,
  leasePrefix,
  renewedLease,
} from "./lease-objects.js";

export interface Claim {
  lease: Lease;
  prefix: string;
  how: string;
}

/** A create or update; undefined when another writer won (409) or the lease went away (404). */
export async function writeLease(op: () => Promise<Lease>): Promise<Lease | undefined> {
  try {
    return await op();
  } catch (err) {
    if (isStatus(err, 409) || isStatus(err, 404)) return undefined;
    throw err;
  }
}

export async function claimPrefix(
  api: k8s.CoordinationV1Api,
  c: Claimant,
  identity: PrefixIdentity,
): Promise<Claim> {
  const { pool, prefixLen } = identity;
  const namespace = c.namespace;
  const replace = (name: string, body: Lease) =>
    writeLease(() => api.replaceNamespacedLease({ name, namespace, body }));
  // Each round lists afresh; a round ends early only when others took what was free meanwhile.
  for (let round = 0; round < 5; round++) {
    const { items } = await api.listNamespacedLease({ namespace, labelSelector: serviceSelector(c.service) });
    for (const l of items.filter((l) => l.spec?.holderIdentity === c.id)) {
      const prefix = fittingPrefix(l, pool, prefixLen);
      const kept = prefix && (await replace(l.metadata!.name!, renewedLease(c, l, false)));
      if (kept) return { lease: kept, prefix: prefix!, how: "kept the prefix this identity held" };
    }
    // Out: whatever another endpoint holds, at any length, and our own leftovers of another configuration.
    const exclude = [...(identity.exclude ?? [])];
    const lapsed = new Map<string, Lease>();
    const now = Date.now();
    for (const l of items) {
      const prefix = leasePrefix(l);
      if (!prefix) continue;
      if (l.spec?.holderIdentity !== c.id && isLapsed(l, now, c.durationSeconds))
        lapsed.set(l.metadata!.name!, l);
      else exclude.push(prefix);
    }
    for (let attempt = 0; attempt < 64; attempt++) {
      let prefix: string;
      try {
        prefix = new PrefixAllocator(pool, prefixLen, exclude).allocate(c.id);
      } catch (err) {
        if (!(err instanceof PoolExhaustedError) || attempt > 0) break;
        throw new PoolExhaustedError(
          pool,
          `no free /${prefixLen} for ${c.service}: ${items.length} leases in ${namespace} (${err.message})`,
        );
      }
      const name = leaseName(c.service, prefix);
      const old = lapsed.get(name);
      const taken = old
        ? await replace(name, renewedLease(c, old, true))
        : await writeLease(() => api.createNamespacedLease({ namespace, body: freshLease(c, name, prefix) }));
      if (taken)
        return {
          lease: taken,
          prefix,
          how: old ? `took over a lapsed lease of ${old.spec?.holderIdentity}` : "claimed a free prefix",
        };
      exclude.push(prefix);
    }
  }
  throw new Error(
    `could not claim a /${prefixLen} of ${pool} for ${c.service}: lost every race for 5 rounds`,
  );
}
