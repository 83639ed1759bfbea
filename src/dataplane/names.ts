// Interface names for links: unique per owner, within Linux's 15-character limit (IFNAMSIZ - 1).
import { createHash } from "node:crypto";

export const MAX_IFNAME = 15;

/** "nsc-" or "vl3-" (peer links) followed by 11 base-32 characters of a hash of the owner id. */
export function interfaceName(kind: "nsc" | "peer", ownerId: string): string {
  const digest = createHash("sha256").update(ownerId).digest();
  let n = 0n;
  for (const b of digest.subarray(0, 8)) n = (n << 8n) | BigInt(b);
  const tag = n.toString(32).padStart(13, "0").slice(-11);
  return `${kind === "nsc" ? "nsc" : "vl3"}-${tag}`;
}

/** The NSE-side interface of a served connection: "vl3-" for peer links, "nsc-" for NSCs. */
export const linkInterface = (kind: "client" | "peer", connectionId: string) =>
  interfaceName(kind === "peer" ? "peer" : "nsc", connectionId);
