// One vL3 across two NSM domains with real packets: an endpoint and a client in each domain, every one
// in its own network namespace; the clients reach each other across the domains (ping and HTTP), and
// again after the second domain's nsmgr proxy restarts (its memory of the links lost).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../../src/sandbox/index.js";
import { startSandbox } from "../../src/sandbox/index.js";
import { SandboxKernel } from "../../src/sandbox/kernel.js";
import { canUseNetns, hasPing, ping } from "../support/netns.js";
import { fetchFrom, hostOf, leftovers, REGISTRY_EXPIRY_MS, startHttpServer, waitFor } from "./helpers.js";

const TAG = `e2ei${process.pid % 100000}`;
const POOL = "198.19.0.0/16";

describe.skipIf(!canUseNetns() || !hasPing())(
  "interdomain vL3 on the kernel data plane (needs root, ip netns and ping)",
  () => {
    const kernel = new SandboxKernel(TAG);
    let sb: Sandbox;

    const meshed = () =>
      sb.domains!.every(
        (d) =>
          [...d.endpoints.values()].every((e) =>
            e.endpoint.tree().children.some((c) => c.kind === "peer" && c.state.startsWith("up")),
          ) && d.clients.every((c) => c.address),
      );

    beforeAll(async () => {
      sb = await startSandbox({
        domains: 2,
        nodes: 1,
        pool: POOL,
        prefixLen: 24,
        kernel,
        registryExpiryMs: REGISTRY_EXPIRY_MS,
      });
      await Promise.all([sb.domains![0]!.startEndpoint("vl3-a"), sb.domains![1]!.startEndpoint("vl3-b")]);
      await sb.domains![0]!.startClient("nsc-1");
      await sb.domains![1]!.startClient("nsc-2");
      expect(await waitFor(meshed, 30_000)).toBe(true);
    }, 60_000);

    afterAll(async () => {
      await sb?.stop();
      expect(await leftovers(TAG, POOL)).toEqual([]);
    }, 60_000);

    const reach = async () => {
      const [c1, c2] = [sb.domains![0]!.clients[0]!, sb.domains![1]!.clients[0]!];
      const ns1 = await kernel.netnsFor(c1.name);
      const ns2 = await kernel.netnsFor(c2.name);
      return (await ping(ns1, hostOf(c2.address!))) && (await ping(ns2, hostOf(c1.address!)));
    };

    const http = async (port: number) => {
      const [c1, c2] = [sb.domains![0]!.clients[0]!, sb.domains![1]!.clients[0]!];
      const server = await startHttpServer(await kernel.netnsFor(c2.name), hostOf(c2.address!), port);
      try {
        return await fetchFrom(await kernel.netnsFor(c1.name), server.url);
      } finally {
        await server.stop();
      }
    };

    it("clients of different domains ping each other and talk HTTP over the vL3", async () => {
      expect(await waitFor(reach, 20_000, 250)).toBe(true);
      const got = await http(8080);
      expect(got).toEqual({ ok: true, body: `hello from ${await kernel.netnsFor("nsc-2")}` });
    });

    it("they reach each other again after the other domain's nsmgr proxy restarts", async () => {
      const proxy = sb.domains![1]!.nsmgrProxy;
      await proxy.stop();
      await proxy.start();
      // The links through it heal: the restarted proxy forwards them again, as it did not remember them.
      expect(await waitFor(() => proxy.forwarding() > 0, 20_000)).toBe(true);
      expect(await waitFor(reach, 20_000, 250)).toBe(true);
      expect((await http(8081)).ok).toBe(true);
    });
  },
);
