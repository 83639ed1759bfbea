// The vL3 end to end with real packets: 3 vl3-nse endpoints and 6 NSCs over 2 sandbox nsmgrs, every
// one in its own network namespace, the endpoints on the kernel data plane and the nsmgrs' kernel
// forwarder wiring a veth per connection. Every client reaches every other one (ping and HTTP); an
// endpoint dies like a pod and its clients heal onto the others; nothing is left afterwards.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { converged } from "../../src/cli/demo.js";
import { parseCidr } from "../../src/ipam/cidr.js";
import type { Sandbox } from "../../src/sandbox/index.js";
import { SandboxKernel } from "../../src/sandbox/kernel.js";
import { canUseNetns, hasPing } from "../support/netns.js";
import {
  fetchFrom,
  hostOf,
  leftovers,
  meshUp,
  type NetnsHttpServer,
  pingMatrix,
  pollUntil,
  startHttpServer,
  startKernelSandbox,
  waitFor,
} from "./helpers.js";

const TAG = `e2ek${process.pid % 100000}`;
const POOL = "198.18.0.0/16";
const PORT = 8080;
const ENDPOINTS = ["vl3-nse-a", "vl3-nse-b", "vl3-nse-c"];

describe.skipIf(!canUseNetns())("kernel vL3 end to end (needs root and ip netns)", () => {
  const kernel = new SandboxKernel(TAG);
  let sb: Sandbox | undefined;
  let http: NetnsHttpServer | undefined;
  let stopped = false;

  beforeAll(async () => {
    sb = await startKernelSandbox(kernel, POOL);
    expect(await meshUp(sb, ENDPOINTS)).toBe(true);
  }, 60_000);

  afterAll(async () => {
    await http?.stop();
    if (!stopped) await sb?.stop();
    await kernel.cleanup();
  }, 60_000);

  it("gives each client an address in its endpoint's prefix", () => {
    for (const c of sb!.clients) {
      const prefix = sb!.endpoints.get(c.endpoint!)!.endpoint.prefix!;
      expect(
        parseCidr(prefix).containsCidr(parseCidr(c.address!)),
        `${c.name} ${c.address} in ${prefix}`,
      ).toBe(true);
    }
    expect(new Set(sb!.clients.map((c) => c.address)).size).toBe(6);
  });

  it.skipIf(!hasPing())(
    "every client pings every other client (skipped without ping)",
    async () => {
      expect(await pingMatrix(sb!, kernel)).toEqual([]);
    },
    60_000,
  );

  it("an HTTP server on one client's vL3 address answers every other client", async () => {
    const server = sb!.clients[0]!;
    http = await startHttpServer(await kernel.netnsFor(server.name), hostOf(server.address!), PORT);
    const answers = await Promise.all(
      sb!.clients
        .slice(1)
        .map(async (c) => [c.name, await fetchFrom(await kernel.netnsFor(c.name), http!.url)] as const),
    );
    for (const [name, r] of answers)
      expect(r, name).toEqual({ ok: true, body: `hello from ${await kernel.netnsFor(server.name)}` });
  }, 60_000);

  it("an endpoint dies like a pod: its clients heal onto the others with new addresses and reach everyone", async () => {
    const server = sb!.clients[0]!;
    // Kill an endpoint that serves clients, but not the HTTP server's.
    const victim = ENDPOINTS.find((e) => e !== server.endpoint && sb!.clients.some((c) => c.endpoint === e))!;
    const moved = sb!.clients.filter((c) => c.endpoint === victim);
    const before = new Map(moved.map((c) => [c.name, c.address]));
    expect(moved.length).toBeGreaterThan(0);
    await sb!.stopEndpoint(victim, { graceful: false });

    const healed = () =>
      moved.every((c) => c.endpoint && c.endpoint !== victim && c.address !== before.get(c.name));
    expect(await waitFor(() => healed() && converged(sb!), 45_000)).toBe(true);
    for (const c of moved) {
      const prefix = sb!.endpoints.get(c.endpoint!)!.endpoint.prefix!;
      expect(
        parseCidr(prefix).containsCidr(parseCidr(c.address!)),
        `${c.name} ${c.address} in ${prefix}`,
      ).toBe(true);
      expect(c.heals).toBeGreaterThan(0);
    }
    if (hasPing()) {
      // The data path may trail the control plane by a refresh: allow a few rounds.
      const failed = await pollUntil(
        () => pingMatrix(sb!, kernel),
        (f) => f.length === 0,
        30_000,
        500,
      );
      expect(failed).toEqual([]);
    }
    for (const c of sb!.clients.slice(1)) {
      expect(await fetchFrom(await kernel.netnsFor(c.name), http!.url), c.name).toMatchObject({ ok: true });
    }
  }, 120_000);

  it("leaves no namespace, link or route behind after the sandbox stops", async () => {
    await http?.stop();
    // The probe sees what the test made (8 pods: the dead endpoint's namespace went with it).
    expect((await leftovers(TAG, POOL)).filter((l) => l.startsWith("netns "))).toHaveLength(8);
    stopped = true;
    await sb!.stop();
    // Deleting a namespace takes its links with it asynchronously: allow that a moment.
    const left = await pollUntil(
      () => leftovers(TAG, POOL),
      (l) => l.length === 0,
      10_000,
    );
    expect(left).toEqual([]);
  }, 60_000);
});
