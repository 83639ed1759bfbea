// iproute2 from Node: `ip -batch -` on stdin for writes, `ip -j` for reads. Always spawned with an
// argument array (no shell), in a named network namespace through `ip -n NAME` when one is given, or in
// one reached through a passed descriptor (/proc/<pid>/fd/<n>) through `nsenter --net=PATH ip`.
import { spawn } from "node:child_process";

/** Where a command runs: a name under /run/netns, a descriptor's /proc/<pid>/fd/<n> path, or this
 * process's network namespace. */
export interface NetnsOption {
  netns?: string;
}

export interface IpRunOptions extends NetnsOption {
  /** Kill `ip` after this long; every call is bounded. */
  timeoutMs?: number;
}

export interface BatchOptions extends IpRunOptions {
  /**
   * `ip -force`: run every line even after a failure and return all failures. Without it the
   * batch stops at the first failing line (earlier lines stay applied) and ipBatch throws.
   */
  force?: boolean;
}

/** One failed line of a batch: `line` is 1-based, as iproute2 reports it. */
export interface BatchFailure {
  line: number;
  command: string;
  message: string;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const NETNS_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
/** A namespace held by a descriptor, as NSM's forwarder names what it received. */
const NETNS_FD_PATH = /^\/proc\/\d+\/fd\/\d+$/;

export function isNetnsFdPath(netns: string): boolean {
  return NETNS_FD_PATH.test(netns);
}

/** `ip` could not run, or exited with an error that is not a per-line batch failure. */
export class IpError extends Error {
  override name = "IpError";
  constructor(
    message: string,
    readonly args: readonly string[],
    readonly stderr: string,
    /** The spawn error code ("ENOENT") or the exit status. */
    readonly code: string | number | null,
  ) {
    super(message);
  }

  /** The namespace or the `ip` binary is missing: a back end that is not there (yet). */
  get unavailable(): boolean {
    return this.code === "ENOENT" || NETNS_GONE.test(this.stderr);
  }
}

/** A batch stopped at `failure.line`; the `applied` lines before it stay applied. */
export class IpBatchError extends Error {
  override name = "IpBatchError";
  constructor(
    readonly failure: BatchFailure,
    readonly applied: number,
    readonly netns: string | undefined,
  ) {
    super(`ip -batch line ${failure.line} "${failure.command}" failed: ${failure.message}`);
  }
}

/** What `ip -n` or nsenter say when the namespace (or the descriptor holding it) is gone. */
export const NETNS_GONE = /Cannot open network namespace|nsenter: cannot open|reassociate to namespace/;

/** A namespace name, or a descriptor's /proc/<pid>/fd/<n> path. */
export function checkNetnsName(netns: string): string {
  if (isNetnsFdPath(netns)) return netns;
  if (!NETNS_NAME.test(netns) || netns === "." || netns === "..") {
    throw new Error(`"${netns}" is not a network namespace name (letters, digits, _ . -; at most 64)`);
  }
  return netns;
}

function netnsArgs(netns: string | undefined): string[] {
  if (netns === undefined) return [];
  return isNetnsFdPath(netns) ? [`--net=${netns}`, "ip"] : ["-n", checkNetnsName(netns)];
}

/** Runs `ip` with `args` and optional stdin; resolves with the exit status, never rejects on it. */
export function runIp(
  args: string[],
  options: IpRunOptions & { input?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const full = [...netnsArgs(options.netns), ...args];
  const command = options.netns !== undefined && isNetnsFdPath(options.netns) ? "nsenter" : "ip";
  return new Promise((resolve, reject) => {
    const child = spawn(command, full, { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    child.on("error", (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new IpError(`ip ${full.join(" ")}: ${err.message}`, full, stderr, err.code ?? null));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (signal) stderr += `\nip killed by ${signal} (timeout)`;
      resolve({ code, stdout, stderr });
    });
    // ip exits early on a bad namespace; its stdin closing under us is not our error.
    child.stdin.on("error", () => {});
    child.stdin.end(options.input ?? "");
  });
}

/**
 * Reads iproute2's batch errors: each message comes before its "Command failed -:N" marker, so
 * the lines since the previous marker belong to line N.
 */
export function parseBatchFailures(stderr: string, lines: readonly string[]): BatchFailure[] {
  const failures: BatchFailure[] = [];
  let pending: string[] = [];
  for (const raw of stderr.split("\n")) {
    const text = raw.trim();
    if (!text) continue;
    const marker = /^Command failed -:(\d+)$/.exec(text);
    if (!marker) {
      pending.push(text);
      continue;
    }
    const line = Number(marker[1]);
    failures.push({ line, command: lines[line - 1] ?? "", message: pending.join("; ") || "failed" });
    pending = [];
  }
  return failures;
}

/**
 * Runs `lines` through one `ip [-n ns] [-force] -batch -`. Lines must not contain newlines (build
 * them with `ipLine`). Returns the failed lines with `force`; without it throws IpBatchError at the
 * first failure. Throws IpError when `ip` itself fails (missing namespace, timeout).
 */
export async function ipBatch(lines: readonly string[], options: BatchOptions = {}): Promise<BatchFailure[]> {
  if (lines.length === 0) return [];
  if (lines.some((l) => l.includes("\n"))) throw new Error("ip -batch: a line contains a newline");
  const args = [...(options.force ? ["-force"] : []), "-batch", "-"];
  const { code, stderr } = await runIp(args, { ...options, input: `${lines.join("\n")}\n` });
  const failures = parseBatchFailures(stderr, lines);
  if (code !== 0 && failures.length === 0) {
    const full = [...netnsArgs(options.netns), ...args];
    throw new IpError(`ip ${full.join(" ")} exited ${code}: ${stderr.trim()}`, full, stderr, code);
  }
  if (!options.force && failures.length > 0) {
    const first = failures[0]!;
    throw new IpBatchError(first, first.line - 1, options.netns);
  }
  return failures;
}

/** `ip [-n ns] -j ARGS`, parsed. Show commands print `[]` or nothing when there is nothing. */
export async function ipJson<T = unknown>(args: string[], options: IpRunOptions = {}): Promise<T[]> {
  const { code, stdout, stderr } = await runIp(["-j", ...args], options);
  if (code !== 0) {
    const full = [...netnsArgs(options.netns), "-j", ...args];
    throw new IpError(`ip ${full.join(" ")} exited ${code}: ${stderr.trim()}`, full, stderr, code);
  }
  const text = stdout.trim();
  return text ? (JSON.parse(text) as T[]) : [];
}

const TOKEN = /^[A-Za-z0-9_.:/%@+-]+$/;

/** One batch line from tokens; rejects anything iproute2's line splitter would read differently. */
export function ipLine(...tokens: string[]): string {
  for (const t of tokens) {
    if (!TOKEN.test(t)) throw new Error(`"${t}" cannot be passed to ip -batch (unsafe characters)`);
  }
  return tokens.join(" ");
}
