// The names of this endpoint's own vL3: its clients and itself, each name mapped to the addresses
// the connection holds now. Answers A, AAAA and PTR from memory, authoritatively; a name it holds
// with no address of the asked family is an empty NOERROR. Anything else goes to the next handler,
// unless the asker wants no recursion (a peer's fanout): then it is NXDOMAIN at once.
import ipaddr from "ipaddr.js";
import type { DnsElement } from "./handler.js";
import { type Answer, replyTo } from "./wire.js";

const normal = (name: string) => (name.endsWith(".") ? name : `${name}.`).toLowerCase();

/** Names and addresses by owner (a connection id, or "self"): pure, no timers. */
export class RecordBook {
  private readonly byOwner = new Map<string, { names: string[]; ips: string[] }>();
  private readonly byName = new Map<string, Map<string, string[]>>();

  /** Sets the owner's names and addresses (host addresses; any /len is dropped), replacing what it had. */
  set(owner: string, names: string[], addresses: string[]): void {
    this.delete(owner);
    const ips = addresses.map((a) => a.split("/")[0]!).filter((a) => ipaddr.isValid(a));
    if (names.length === 0 || ips.length === 0) return;
    const entry = { names: names.map(normal), ips };
    this.byOwner.set(owner, entry);
    for (const name of entry.names) {
      const owners = this.byName.get(name) ?? new Map<string, string[]>();
      owners.set(owner, ips);
      this.byName.set(name, owners);
    }
  }

  delete(owner: string): void {
    const entry = this.byOwner.get(owner);
    if (!entry) return;
    this.byOwner.delete(owner);
    for (const name of entry.names) {
      const owners = this.byName.get(name);
      owners?.delete(owner);
      if (owners?.size === 0) this.byName.delete(name);
    }
  }

  /** The addresses of a name (undefined: no such name here). */
  lookup(name: string): string[] | undefined {
    const owners = this.byName.get(normal(name));
    return owners ? [...new Set([...owners.values()].flat())] : undefined;
  }

  /** The names that hold an address. */
  reverse(address: string): string[] {
    const out = new Set<string>();
    for (const entry of this.byOwner.values()) {
      if (entry.ips.some((ip) => sameAddress(ip, address))) for (const n of entry.names) out.add(n);
    }
    return [...out];
  }

  get size(): number {
    return this.byName.size;
  }
}

function sameAddress(a: string, b: string): boolean {
  try {
    return ipaddr.parse(a).toNormalizedString() === ipaddr.parse(b).toNormalizedString();
  } catch {
    return false;
  }
}

/** The address a reverse name stands for ("2.0.16.172.in-addr.arpa." → "172.16.0.2"), if it is one. */
export function addressOfReverseName(name: string): string | undefined {
  const n = normal(name);
  const v4 = /^((?:\d{1,3}\.){4})in-addr\.arpa\.$/.exec(n);
  if (v4) {
    const ip = v4[1]!.slice(0, -1).split(".").reverse().join(".");
    return ipaddr.IPv4.isValidFourPartDecimal(ip) ? ip : undefined;
  }
  const v6 = /^((?:[0-9a-f]\.){32})ip6\.arpa\.$/.exec(n);
  if (v6) {
    const hex = v6[1]!.replaceAll(".", "").split("").reverse().join("");
    return ipaddr.parse(hex.match(/.{4}/g)!.join(":")).toString();
  }
  return undefined;
}

/** Answers from the book: A, AAAA and PTR records with `ttlSeconds`. */
export function records(book: RecordBook, ttlSeconds: number): DnsElement {
  return (next) => async (request) => {
    const { query } = request;
    const q = query.questions[0]!;
    const answers: Answer[] = [];
    let exists = false;
    if (q.type === "PTR") {
      const ip = addressOfReverseName(q.name);
      const names = ip ? book.reverse(ip) : [];
      exists = names.length > 0;
      for (const data of names)
        answers.push({ type: "PTR", name: q.name, ttl: ttlSeconds, class: "IN", data });
    } else {
      const ips = book.lookup(q.name);
      exists = ips !== undefined;
      const family = q.type === "A" ? 4 : q.type === "AAAA" ? 6 : 0;
      for (const ip of ips ?? []) {
        if (family && ipaddr.parse(ip).kind() === (family === 4 ? "ipv4" : "ipv6"))
          answers.push({
            type: q.type as "A" | "AAAA",
            name: q.name,
            ttl: ttlSeconds,
            class: "IN",
            data: ip,
          });
      }
    }
    if (exists) return replyTo(query, "NOERROR", answers, { authoritative: true });
    // Without recursion desired (another endpoint's fanout, or dig +norecurse) only our own names count.
    if (!query.recursionDesired) return replyTo(query, "NXDOMAIN", [], { authoritative: true });
    return next(request);
  };
}
