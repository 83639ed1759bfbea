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
