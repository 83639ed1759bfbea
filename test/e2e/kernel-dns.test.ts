// Workload DNS end to end with real packets: 3 vl3-nse endpoints on the kernel data plane and 6 NSCs,
// each in its own namespace, its resolv.conf written from its connection's DNS context (as NSM's DNS
// sidecar does). Every client resolves every other client's short name with the system resolver
// (getent, through `ip netns exec`), pings it and fetches from it by name; after an endpoint is killed
// and its clients heal elsewhere, the names resolve to the addresses that work.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { converged } from "../../src/cli/demo.js";
import { execWithResolver, pingName, resolveIn } from "../../src/kernel/exec.js";
import type { Sandbox } from "../../src/sandbox/index.js";
import { SandboxKernel } from "../../src/sandbox/kernel.js";
import { canUseNetns, hasPing } from "../support/netns.js";
import {
  hostOf,
  meshUp,
  type NetnsHttpServer,
  pollUntil,
  startHttpServer,
  startKernelSandbox,
  waitFor,
} from "./helpers.js";

const TAG = `e2ed${process.pid % 100000}`;
const POOL = "198.18.0.0/16";
const ENDPOINTS = ["dns-nse-a", "dns-nse-b", "dns-nse-c"];

/** A command in `netns` through `ip netns exec`, which mounts the namespace's own resolv.conf. */
async function inNetns(netns: string, cmd: string[]): Promise<{ code: number; out: string }> {
  const r = await execWithResolver(netns, cmd[0]!, cmd.slice(1));
  return { code: r.code, out: `${r.stdout}${r.stderr}`.trim() };
}

/** Every (from, to) pair where `to`'s short name does not resolve to its address, or `check` fails. */
async function byName(
  sb: Sandbox,
  kernel: SandboxKernel,
  check?: (netns: string, name: string) => Promise<boolean>,
): Promise<string[]> {
  const failed: string[] = [];
  await Promise.all(
    sb.clients.map(async (from) => {
      const ns = await kernel.netnsFor(from.name);
      for (const to of sb.clients) {
        if (to === from) continue;
        const got = await resolveIn(ns, to.name);
        if (got !== hostOf(to.address!))
          failed.push(`${from.name} → ${to.name}: ${got} (want ${hostOf(to.address!)})`);
        else if (check && !(await check(ns, to.name)))
          failed.push(`${from.name} → ${to.name}: unreachable by name`);
      }
    }),
  );
  return failed;
}

const pingByName = (ns: string, name: string) => pingName(ns, name);

describe.skipIf(!canUseNetns())("kernel workload DNS end to end (needs root and ip netns)", () => {
  const kernel = new SandboxKernel(TAG);
  let sb: Sandbox | undefined;
  let http: NetnsHttpServer | undefined;

  beforeAll(async () => {
    sb = await startKernelSandbox(kernel, POOL);
    expect(await meshUp(sb, ENDPOINTS)).toBe(true);
  }, 60_000);

  afterAll(async () => {
    await http?.stop();
    await sb?.stop();
    await kernel.cleanup();
  }, 60_000);

  it("every client resolves every other client's short name with the system resolver", async () => {
    const failed = await pollUntil(
      () => byName(sb!, kernel),
      (f) => f.length === 0,
      20_000,
      500,
    );
    expect(failed).toEqual([]);
  }, 60_000);

  it.skipIf(!hasPing())(
    "every client pings every other client by name (skipped without ping)",
    async () => {
      // Polled, as names are: under load a resolver's or ping's 1 s wait runs out now and then.
      const failed = await pollUntil(
        () => byName(sb!, kernel, pingByName),
        (f) => f.length === 0,
        45_000,
        500,
      );
      expect(failed).toEqual([]);
    },
    90_000,
  );

  it("every client fetches from an HTTP server on another client by name", async () => {
    const server = sb!.clients[0]!;
    http = await startHttpServer(await kernel.netnsFor(server.name), hostOf(server.address!), 8080);
    const script = `fetch("http://${server.name}:8080/", { signal: AbortSignal.timeout(4000) })
      .then((r) => r.text()).then((t) => console.log(t), (e) => { console.error(String(e)); process.exit(1); });`;
    const want = { code: 0, out: `hello from ${await kernel.netnsFor(server.name)}` };
    const waiting = new Set(sb!.clients.slice(1));
    // Each client until its fetch succeeds (bounded): a node started on a loaded core may miss 4 s.
    const last = new Map<string, unknown>();
    await pollUntil(
      async () => {
        for (const c of [...waiting]) {
          const r = await inNetns(await kernel.netnsFor(c.name), [process.execPath, "-e", script]);
          last.set(c.name, r);
          if (r.code === want.code && r.out === want.out) waiting.delete(c);
        }
        return waiting.size;
      },
      (left) => left === 0,
      45_000,
      500,
    );
    for (const c of waiting) expect(last.get(c.name), c.name).toEqual(want);
  }, 90_000);

  it("after an endpoint is killed and its clients heal, names resolve to the addresses that work", async () => {
    const keep = sb!.clients[0]!.endpoint;
    const victim = ENDPOINTS.find((e) => e !== keep && sb!.clients.some((c) => c.endpoint === e))!;
    const moved = sb!.clients.filter((c) => c.endpoint === victim);
    const before = new Map(moved.map((c) => [c.name, c.address]));
    await sb!.stopEndpoint(victim, { graceful: false });
    const healed = () => moved.every((c) => c.endpoint !== victim && c.address !== before.get(c.name));
    expect(await waitFor(() => healed() && converged(sb!), 45_000)).toBe(true);
    const failed = await pollUntil(
      () => byName(sb!, kernel, hasPing() ? pingByName : undefined),
      (f) => f.length === 0,
      45_000,
      500,
    );
    expect(failed).toEqual([]);
  }, 150_000);
});
