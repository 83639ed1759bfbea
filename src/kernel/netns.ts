// Named network namespaces (under /run/netns), for the sandbox and tests.
import { checkNetnsName, IpError, ipBatch, ipJson, runIp } from "./ip.js";

/** Creates `name` with its loopback up (a fresh namespace's `lo` is down; local traffic needs it). */
export async function createNetns(name: string): Promise<void> {
  checkNetnsName(name);
  const { code, stderr } = await runIp(["netns", "add", name]);
  if (code !== 0) {
    throw new IpError(`ip netns add ${name}: ${stderr.trim()}`, ["netns", "add", name], stderr, code);
  }
  await ipBatch(["link set dev lo up"], { netns: name });
}

/** Deletes `name`; its links go with it (the kernel finishes that asynchronously). Absent is fine. */
export async function deleteNetns(name: string): Promise<void> {
  checkNetnsName(name);
  const { code, stderr } = await runIp(["netns", "del", name]);
  if (code !== 0 && !/No such file or directory/.test(stderr)) {
    throw new IpError(`ip netns del ${name}: ${stderr.trim()}`, ["netns", "del", name], stderr, code);
  }
}

/** Names under /run/netns. */
export async function listNetns(): Promise<string[]> {
  const rows = await ipJson<{ name: string }>(["netns", "list"]);
  return rows.map((r) => r.name);
}
