// Running a program inside a network namespace, and the bounded ping the demo and tests use.
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Runs a program inside `netns` (bounded), resolving with its exit code and output. */
export async function execIn(
  netns: string,
  cmd: string,
  args: string[],
  timeoutMs = 10_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run("nsenter", [`--net=/run/netns/${netns}`, cmd, ...args], {
      timeout: timeoutMs,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : 1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

/**
 * One echo request from `netns` to `addr`, waiting at most a second, tried up to `attempts` times
 * (the first may be spent on neighbour resolution). True if a reply came back.
 */
export async function ping(netns: string, addr: string, attempts = 3): Promise<boolean> {
  for (let i = 0; i < attempts; i++) {
    const { code } = await execIn(netns, "ping", ["-n", "-c", "1", "-W", "1", addr]);
    if (code === 0) return true;
  }
  return false;
}

/**
 * Runs a program in `netns` through `ip netns exec`, which also mounts the namespace's own files from
 * /etc/netns/<ns>/ (its resolv.conf): for anything that resolves names with the system resolver.
 */
export async function execWithResolver(
  netns: string,
  cmd: string,
  args: string[],
  timeoutMs = 15_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run("ip", ["netns", "exec", netns, cmd, ...args], {
      timeout: timeoutMs,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : 1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

/** What the system resolver in `netns` makes of `name` (`getent hosts`): the first address, if any. */
export async function resolveIn(netns: string, name: string): Promise<string | undefined> {
  const r = await execWithResolver(netns, "getent", ["hosts", name]);
  return r.code === 0 ? r.stdout.trim().split(/\s+/)[0] : undefined;
}

/** One ping to a name, resolved in `netns` (a few tries, as `ping` above). */
export async function pingName(netns: string, name: string, attempts = 3): Promise<boolean> {
  for (let i = 0; i < attempts; i++) {
    if ((await execWithResolver(netns, "ping", ["-c", "1", "-W", "1", name])).code === 0) return true;
  }
  return false;
}
