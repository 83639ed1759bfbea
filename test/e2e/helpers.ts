// Helpers for the kernel end-to-end tests: bounded waits, the ping matrix between clients, a tiny
// HTTP server and fetch run inside client namespaces, and what a test leaves in the root namespace.
import { type ChildProcess, spawn } from "node:child_process";
import ipaddr from "ipaddr.js";
import { converged } from "../../src/cli/demo.js";
import { parseCidr } from "../../src/ipam/cidr.js";
import { ipJson } from "../../src/kernel/ip.js";
import { listNetns } from "../../src/kernel/netns.js";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import type { SandboxKernel } from "../../src/sandbox/kernel.js";
import { execIn, ping } from "../support/netns.js";

/** Polls `check` every `everyMs` until it holds or `timeoutMs` passes; returns its last result. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 100) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return check();
}

/** Reads `read` every `everyMs` until `done` accepts the value or `timeoutMs` passes; the last value read. */
export async function pollUntil<T>(
  read: () => Promise<T>,
  done: (v: T) => boolean,
  timeoutMs: number,
  everyMs = 200,
) {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, everyMs));
    value = await read();
  }
  return value;
}

export const hostOf = (cidr: string) => cidr.split("/")[0]!;

/**
 * The registrations of the end-to-end sandboxes. Endpoints register through their nsmgr (descriptors,
 * the sandbox's default), two mTLS hops with path tokens per refresh: at 2 s a refresh under a loaded
 * machine missed its expiry now and then, the lapse dropped the endpoint at its peers and their links
 * went down under the packet checks. 6 s still lets a killed endpoint go within the tests' bounds.
 */
export const REGISTRY_EXPIRY_MS = 6000;

/** The kernel tests' sandbox: `nodes` nsmgrs, /24 prefixes of `pool`, the kernel data plane, short registrations. */
export function startKernelSandbox(kernel: SandboxKernel, pool: string, nodes = 2): Promise<Sandbox> {
  return startSandbox({ nodes, pool, prefixLen: 24, kernel, registryExpiryMs: REGISTRY_EXPIRY_MS });
}

/** The endpoints on alternate nodes and six clients; whether the mesh converged within 30 s. */
export async function meshUp(sb: Sandbox, endpoints: string[]): Promise<boolean> {
  await Promise.all(endpoints.map((name, i) => sb.startEndpoint(name, { node: i })));
  for (let i = 1; i <= 6; i++) await sb.startClient(`nsc-${i}`, { node: i });
  return waitFor(() => converged(sb), 30_000);
}

/** Every client pings every other client over the vL3; returns the pairs that failed ("a→b"). */
export async function pingMatrix(sb: Sandbox, kernel: SandboxKernel): Promise<string[]> {
  const failed: string[] = [];
  await Promise.all(
    sb.clients.map(async (a) => {
      const ns = await kernel.netnsFor(a.name);
      for (const b of sb.clients) {
        if (b === a) continue;
        if (!b.address || !(await ping(ns, hostOf(b.address)))) failed.push(`${a.name}→${b.name}`);
      }
    }),
  );
  return failed.sort();
}

export interface NetnsHttpServer {
  url: string;
  stop(): Promise<void>;
}

/** A one-line node HTTP server in `netns`, bound to `addr:port`; resolves once it listens. */
export async function startHttpServer(netns: string, addr: string, port: number): Promise<NetnsHttpServer> {
  const script = `require("node:http").createServer((q, s) => s.end("hello from " + process.argv[1]))
    .listen(${port}, ${JSON.stringify(addr)}, () => console.log("listening"));`;
  const child: ChildProcess = spawn(
    "nsenter",
    [`--net=/run/netns/${netns}`, process.execPath, "-e", script, netns],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stderr = "";
  child.stderr!.on("data", (d) => {
    stderr += String(d);
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
  };
  const ready = await Promise.race([
    new Promise<boolean>((resolve) =>
      child.stdout!.on("data", (d) => String(d).includes("listening") && resolve(true)),
    ),
    new Promise<boolean>((resolve) => child.once("exit", () => resolve(false))),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 10_000)),
  ]);
  if (!ready) {
    await stop();
    throw new Error(`HTTP server in ${netns} on ${addr}:${port} did not start: ${stderr.trim()}`);
  }
  return { url: `http://${addr}:${port}/`, stop };
}

/** GET `url` from inside `netns` with the project's node (curl may be missing); the body, or an error text. */
export async function fetchFrom(netns: string, url: string): Promise<{ ok: boolean; body: string }> {
  const script = `fetch(${JSON.stringify(url)}, { signal: AbortSignal.timeout(4000) })
    .then((r) => r.text()).then((t) => console.log(t), (e) => { console.error(String(e) + (e.cause ? ": " + String(e.cause) : "")); process.exit(1); });`;
  const r = await execIn(netns, process.execPath, ["-e", script], 15_000);
  return { ok: r.code === 0, body: (r.code === 0 ? r.stdout : r.stderr).trim() };
}

/** Namespaces named with `tag`, and root-namespace links and routes on interfaces the vL3 names. */
export async function leftovers(tag: string, pool: string): Promise<string[]> {
  const found: string[] = [];
  for (const ns of await listNetns()) if (ns.startsWith(`${tag}-`)) found.push(`netns ${ns}`);
  const ours = /^(nsm-|nsc-|vl3-)/;
  for (const l of await ipJson<{ ifname: string }>(["link", "show"])) {
    if (ours.test(l.ifname)) found.push(`link ${l.ifname}`);
  }
  const inPool = (dst: string) => {
    const host = dst.split("/")[0]!;
    return (
      ipaddr.isValid(host) && parseCidr(pool).overlaps(parseCidr(dst.includes("/") ? dst : `${host}/32`))
    );
  };
  for (const r of await ipJson<{ dst: string; dev?: string }>(["-4", "route", "show", "table", "all"])) {
    if ((r.dev && ours.test(r.dev)) || inPool(r.dst)) found.push(`route ${r.dst} dev ${r.dev ?? "-"}`);
  }
  return found;
}
