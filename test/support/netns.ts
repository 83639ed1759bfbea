// Network namespaces for tests: a probe for whether we may create them, a test-scoped factory with
// unique "vl3t-" names that deletes everything it made, and a bounded ping run inside a namespace.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createNetns, deleteNetns, listNetns } from "../../src/kernel/netns.js";

let usable: boolean | undefined;

/** Root, and `ip netns add` works here (decided once per process, synchronously for skipIf). */
export function canUseNetns(): boolean {
  if (usable !== undefined) return usable;
  usable = false;
  if (process.getuid?.() === 0) {
    const probe = `vl3t-probe-${process.pid}`;
    usable = spawnSync("ip", ["netns", "add", probe], { timeout: 10_000 }).status === 0;
    if (usable) spawnSync("ip", ["netns", "del", probe], { timeout: 10_000 });
  }
  return usable;
}

let pingPresent: boolean | undefined;

/** iputils ping is installed. */
export function hasPing(): boolean {
  pingPresent ??= spawnSync("ping", ["-V"], { timeout: 5_000 }).status === 0;
  return pingPresent;
}

export interface NetnsScope {
  /** Creates a namespace with a unique "vl3t-" name (loopback up) and returns its name. */
  create(tag: string): Promise<string>;
  readonly names: readonly string[];
  /** Deletes every namespace this scope created (with all links, addresses and routes inside). */
  cleanup(): Promise<void>;
}

export function netnsScope(): NetnsScope {
  const names: string[] = [];
  const scopeId = randomBytes(3).toString("hex");
  return {
    names,
    async create(tag: string) {
      const name = `vl3t-${process.pid}-${scopeId}-${tag}`;
      await createNetns(name);
      names.push(name);
      return name;
    },
    async cleanup() {
      for (const name of names.splice(0)) await deleteNetns(name);
    },
  };
}

/** Every namespace whose name starts with `prefix` (to check that a test left none behind). */
export async function netnsWithPrefix(prefix: string): Promise<string[]> {
  return (await listNetns()).filter((n) => n.startsWith(prefix));
}

export { execIn, ping } from "../../src/kernel/exec.js";
