// Interface names for links: unique per owner, within Linux's 15-character limit (IFNAMSIZ - 1).

/** Murmur3's 32-bit finaliser: spreads every input bit over the output. */
function mix32(h: number): number {
  let x = h ^ (h >>> 16);
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * 11 base-32 characters (52 bits) of a hash of `id`. Not cryptographic, and it need not be: names only
 * have to be distinct and the same wherever they are computed (the NSE, the forwarder). This runs on
 * every Request, where a SHA-256 cost several percent of the endpoint's CPU.
 */
function tag(id: string): string {
  let a = 0x811c9dc5;
  let b = 0x9e3779b9;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  const hi = mix32(a ^ id.length);
  const lo = mix32(b ^ hi);
  return hi.toString(32).padStart(7, "0") + (lo >>> 12).toString(32).padStart(4, "0");
}

/** "nsc-" or "vl3-" (peer links) followed by 11 base-32 characters of a hash of the owner id. */
export function interfaceName(kind: "nsc" | "peer", ownerId: string): string {
  return `${kind === "nsc" ? "nsc" : "vl3"}-${tag(ownerId)}`;
}

/** The NSE-side interface of a served connection: "vl3-" for peer links, "nsc-" for NSCs. */
export const linkInterface = (kind: "client" | "peer", connectionId: string) =>
  interfaceName(kind === "peer" ? "peer" : "nsc", connectionId);
