// Which identities of a path that passed the policies are PROVEN, not merely claimed: a segment's
// `sub` is trusted only when its token verifies with a key bound to that very SPIFFE ID. Decoded
// claims chain hops together but prove nothing: anyone can sign any `sub` with its own key.
import type { PolicyInput } from "./policies.js";
import { proveByX5c } from "./x5c.js";

/**
 * One flag per segment. Proven by: the TLS peer's certificate (the caller's segment, index − 1, whose
 * `sub` must be the peer's), a key this process met for exactly that ID (its own SVIDs, TLS peers), or
 * the token's `x5c` chain anchored in our trust bundle (x5c.ts). Our own segment (index) is ours.
 */
export async function provenSegments(input: PolicyInput): Promise<boolean[]> {
  const out: boolean[] = [];
  for (let i = 0; i < input.segments.length; i++) out.push(await proven(input, i));
  return out;
}

async function proven(input: PolicyInput, i: number): Promise<boolean> {
  const sub = input.claims[i]?.sub;
  const token = input.segments[i]!.token;
  if (!sub) return false;
  const peer = input.peer;
  if (peer && sub === peer.spiffeId && (await input.verify(token, peer.key))) return true;
  for (const key of input.keysOf(sub)) if (await input.verify(token, key)) return true;
  return (await proveByX5c(token, sub, input.bundles, input, input.nowMs)) === "proven";
}
