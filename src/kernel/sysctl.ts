// Writes under /proc/sys/net inside a network namespace. /proc/sys/net shows the namespace of the
// process that opens it, so another namespace needs a helper process entered into it (nsenter).
import { spawn } from "node:child_process";
import { access, readFile, writeFile } from "node:fs/promises";
import { checkNetnsName, type NetnsOption } from "./ip.js";

export interface SysctlWrite {
  /** Path under /proc/sys, e.g. "net/ipv4/ip_forward". */
  key: string;
  value: string;
  /** Skip when the key does not exist (IPv6 disabled or absent in the namespace). */
  optional?: boolean;
}

const KEY = /^[a-z0-9_]+(\/[a-z0-9_.-]+)+$/i;
const VALUE = /^[A-Za-z0-9 _.-]*$/;

function check(w: SysctlWrite): void {
  if (!KEY.test(w.key) || w.key.split("/").some((p) => p === "." || p === "..")) {
    throw new Error(`"${w.key}" is not a /proc/sys key`);
  }
  if (!VALUE.test(w.value)) throw new Error(`"${w.value}" is not a sysctl value`);
}

// Keys and values are positional arguments of a fixed script: nothing is interpolated into it.
// A value already in place is not written: /proc/sys is read-only in an unprivileged pod, where the
// kubelet sets the sysctls instead.
const SCRIPT =
  'while [ $# -gt 0 ]; do if [ "$3" = req ] || [ -e "/proc/sys/$1" ]; then ' +
  '[ "$(cat "/proc/sys/$1" 2>/dev/null)" = "$2" ] || printf "%s\\n" "$2" > "/proc/sys/$1" || exit 1; fi; shift 3; done';

/** Writes `writes` in order, in `netns` (a name under /run/netns) or in this process's namespace. */
export async function writeSysctls(writes: SysctlWrite[], options: NetnsOption = {}): Promise<void> {
  writes.forEach(check);
  if (options.netns === undefined) {
    for (const w of writes) {
      const path = `/proc/sys/${w.key}`;
      if (w.optional && !(await exists(path))) continue;
      const current = await readFile(path, "utf8").then(
        (v) => v.trim(),
        () => undefined,
      );
      if (current !== w.value) await writeFile(path, `${w.value}\n`);
    }
    return;
  }
  const netns = checkNetnsName(options.netns);
  const args = [`--net=/run/netns/${netns}`, "sh", "-c", SCRIPT, "sh"];
  for (const w of writes) args.push(w.key, w.value, w.optional ? "opt" : "req");
  await run("nsenter", args);
}

/** Reads one /proc/sys key (trimmed) in `netns` or here. */
export async function readSysctl(key: string, options: NetnsOption = {}): Promise<string> {
  check({ key, value: "" });
  if (options.netns === undefined) return (await readFile(`/proc/sys/${key}`, "utf8")).trim();
  const netns = checkNetnsName(options.netns);
  const out = await run("nsenter", [`--net=/run/netns/${netns}`, "cat", `/proc/sys/${key}`]);
  return out.trim();
}

/** Turns IPv4 forwarding on, and IPv6 forwarding where IPv6 exists: the NSE routes between links. */
export function enableForwarding(options: NetnsOption = {}): Promise<void> {
  return writeSysctls(
    [
      { key: "net/ipv4/ip_forward", value: "1" },
      { key: "net/ipv6/conf/all/forwarding", value: "1", optional: true },
    ],
    options,
  );
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

function run(cmd: string, args: string[], timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${cmd} ${args.slice(0, 2).join(" ")} exited ${code}: ${stderr.trim()}`));
    });
  });
}
