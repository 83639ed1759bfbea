// The vL3 pool split between NSM domains, for domains that each run their own prefix server: slice i
// of n is the i-th of the 2^k equal parts (2^k >= n), so no two domains can hand out one prefix.
import { Cidr, CidrError, parseCidr } from "./cidr.js";

/** The `parts` disjoint slices of `pool`, each at least `prefixLen` long; throws CidrError when too small. */
export function splitPool(pool: string, parts: number, prefixLen: number): string[] {
  const whole = parseCidr(pool, "pool");
  const extra = Math.ceil(Math.log2(Math.max(1, parts)));
  const bits = whole.bits + extra;
  if (bits > prefixLen)
    throw new CidrError("pool", pool, `cannot be split into ${parts} parts that each hold a /${prefixLen}`);
  const step = 1n << BigInt(whole.maxBits - bits);
  return Array.from({ length: parts }, (_, i) =>
    new Cidr(whole.family, whole.network + BigInt(i) * step, bits).toString(),
  );
}
