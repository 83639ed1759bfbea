// The kernel forwarder and KernelDataplane together, with real packets: clients of one vL3 NSE
// reach each other through it, and clients of two peered NSEs reach each other across the peering.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { interfaceName } from "../../../src/dataplane/names.js";
import type { Item } from "../../../src/dataplane/types.js";
import { KernelDataplane } from "../../../src/kernel/dataplane.js";
import { KernelForwarder } from "../../../src/kernel/forwarder.js";
import { ipJson } from "../../../src/kernel/ip.js";
import { endConfig, type IpContextInput } from "../../../src/kernel/ipcontext.js";
import { listNetns } from "../../../src/kernel/netns.js";
import { writeSysctls } from "../../../src/kernel/sysctl.js";
import { canUseNetns, hasPing, netnsScope, ping } from "../../support/netns.js";

/** What a vL3 NSE at `.1` of `net` (x.y.z) hands the client at `.host`: routes into the pool via the NSE. */
function clientContext(net: string, host: number): IpContextInput {
  return {
    srcIpAddrs: [`${net}.${host}/32`],
    dstIpAddrs: [`${net}.1/32`],
    srcRoutes: [{ prefix: `${net}.1/32` }, { prefix: `${net}.0/24` }, { prefix: "172.16.0.0/16" }],
    dstRoutes: [{ prefix: `${net}.${host}/32` }],
  };
}

/** The items the NSE itself keeps for a link: its interface and the dst side of the IP context. */
function nseItems(ifName: string, ctx: IpContextInput, role: "server" | "client" = "server"): Item[] {
  const end = endConfig(ctx, role === "server" ? "dst" : "src", ifName);
  const mechanism = { cls: "LOCAL", type: "KERNEL", parameters: { name: ifName } };
  return [{ type: "interface", name: ifName, role, mechanism }, ...end.addresses, ...end.routes];
}

async function linkNames(netns: string): Promise<string[]> {
  return (await ipJson<{ ifname: string }>(["link", "show"], { netns })).map((l) => l.ifname).sort();
}

describe.skipIf(!canUseNetns() || !hasPing())(
  "kernel forwarder with real packets (needs root, ip netns, ping)",
  () => {
    const scope = netnsScope();
    const forwarder = new KernelForwarder();
    const dataplanes: KernelDataplane[] = [];
    const ifNames: string[] = [];

    afterAll(async () => {
      await forwarder.close();
      for (const dp of dataplanes) await dp.close();
      await scope.cleanup();
    });

    describe("one vL3 NSE and two clients", () => {
      let nse: string;
      let c1: string;
      let c2: string;
      let dp: KernelDataplane;
      const conn1 = "conn-star-1";
      const conn2 = "conn-star-2";
      const if1 = interfaceName("nsc", conn1);
      const if2 = interfaceName("nsc", conn2);

      beforeAll(async () => {
        [nse, c1, c2] = [await scope.create("nse"), await scope.create("c1"), await scope.create("c2")];
        ifNames.push(if1, if2);
        dp = new KernelDataplane({ netns: nse });
        dataplanes.push(dp);
        const ctx1 = clientContext("172.16.1", 2);
        const ctx2 = clientContext("172.16.1", 3);
        await forwarder.connect({
          connectionId: conn1,
          nscNetns: c1,
          nseNetns: nse,
          nseIfName: if1,
          ipContext: ctx1,
        });
        await forwarder.connect({
          connectionId: conn2,
          nscNetns: c2,
          nseNetns: nse,
          nseIfName: if2,
          ipContext: ctx2,
        });
        await dp.resync([...nseItems(if1, ctx1), ...nseItems(if2, ctx2)]);
      });

      it("creates each veth end in its namespace with the requested names", async () => {
        expect(await linkNames(c1)).toEqual(["lo", "nsm-1"]);
        expect(await linkNames(c2)).toEqual(["lo", "nsm-1"]);
        expect(await linkNames(nse)).toEqual(["lo", if1, if2].sort());
        const routes = await ipJson<{ dst: string; gateway?: string; flags: string[] }>(["route", "show"], {
          netns: c1,
        });
        expect(routes).toContainEqual(
          expect.objectContaining({ dst: "172.16.0.0/16", gateway: "172.16.1.1" }),
        );
        expect(routes.find((r) => r.dst === "172.16.0.0/16")!.flags).toContain("onlink");
      });

      it("a client pings the NSE and the other client through it", async () => {
        expect(await ping(c1, "172.16.1.1")).toBe(true);
        expect(await ping(c1, "172.16.1.3")).toBe(true);
        expect(await ping(c2, "172.16.1.2")).toBe(true);
      });

      it("client to client needs forwarding in the NSE", async () => {
        await writeSysctls([{ key: "net/ipv4/ip_forward", value: "0" }], { netns: nse });
        expect(await ping(c1, "172.16.1.3", 1)).toBe(false);
        await dp.resync(await dp.dump());
        expect(await ping(c1, "172.16.1.3")).toBe(true);
      });

      it("a refresh with a new IP context replaces routes and drops the old ones", async () => {
        const ctx = clientContext("172.16.1", 2);
        ctx.srcRoutes = [
          { prefix: "172.16.1.1/32" },
          { prefix: "172.16.1.0/24" },
          { prefix: "172.16.64.0/18" },
        ];
        await forwarder.connect({
          connectionId: conn1,
          nscNetns: c1,
          nseNetns: nse,
          nseIfName: if1,
          ipContext: ctx,
        });
        const dsts = (await ipJson<{ dst: string }>(["route", "show"], { netns: c1 }))
          .map((r) => r.dst)
          .sort();
        expect(dsts).toEqual(["172.16.1.0/24", "172.16.1.1", "172.16.64.0/18"]);
        expect(await linkNames(c1)).toEqual(["lo", "nsm-1"]);
      });

      it("a restarted forwarder replaces the stale link of the same connection", async () => {
        const restarted = new KernelForwarder();
        const ctx = clientContext("172.16.1", 2);
        await restarted.connect({
          connectionId: conn1,
          nscNetns: c1,
          nseNetns: nse,
          nseIfName: if1,
          ipContext: ctx,
        });
        await dp.resync(await dp.dump()); // the NSE re-puts its items on the new link
        expect(await ping(c1, "172.16.1.3")).toBe(true);
        await expect(
          restarted.connect({
            connectionId: "other",
            nscNetns: c2,
            nseNetns: nse,
            nseIfName: if2,
            ipContext: ctx,
          }),
        ).rejects.toThrow(/already exists/);
      });

      it("disconnect removes both ends, with their addresses and routes", async () => {
        expect(await forwarder.disconnect(conn2)).toBe(true);
        expect(await forwarder.disconnect(conn2)).toBe(false);
        expect(await linkNames(c2)).toEqual(["lo"]);
        expect(await linkNames(nse)).toEqual(["lo", if1]);
        expect(await ipJson(["route", "show"], { netns: c2 })).toEqual([]);
        expect(await ping(c1, "172.16.1.3", 1)).toBe(false);
      });
    });

    describe("two peered vL3 NSEs", () => {
      it("a client of NSE A pings a client of NSE B across the peer link", async () => {
        const [a, b, a1, b1] = [
          await scope.create("nse-a"),
          await scope.create("nse-b"),
          await scope.create("a1"),
          await scope.create("b1"),
        ];
        const dpA = new KernelDataplane({ netns: a });
        const dpB = new KernelDataplane({ netns: b });
        dataplanes.push(dpA, dpB);
        // A dialled B: A is the peer link's client (src) end, B its server (dst) end.
        const peerId = "peer-a-b";
        const peerA = interfaceName("peer", `${peerId}/a`);
        const peerB = interfaceName("peer", `${peerId}/b`);
        const peerCtx: IpContextInput = {
          srcIpAddrs: ["172.16.1.1/32"],
          dstIpAddrs: ["172.16.2.1/32"],
          srcRoutes: [{ prefix: "172.16.2.1/32" }, { prefix: "172.16.2.0/24" }],
          dstRoutes: [{ prefix: "172.16.1.1/32" }, { prefix: "172.16.1.0/24" }],
        };
        const ctxA1 = clientContext("172.16.1", 2);
        const ctxB1 = clientContext("172.16.2", 2);
        const ifA1 = interfaceName("nsc", "peer-test-a1");
        const ifB1 = interfaceName("nsc", "peer-test-b1");
        ifNames.push(peerA, peerB, ifA1, ifB1);
        await forwarder.connect({
          connectionId: peerId,
          nscNetns: a,
          nscIfName: peerA,
          nseNetns: b,
          nseIfName: peerB,
          ipContext: peerCtx,
        });
        await forwarder.connect({
          connectionId: "a1",
          nscNetns: a1,
          nseNetns: a,
          nseIfName: ifA1,
          ipContext: ctxA1,
        });
        await forwarder.connect({
          connectionId: "b1",
          nscNetns: b1,
          nseNetns: b,
          nseIfName: ifB1,
          ipContext: ctxB1,
        });
        await dpA.resync([...nseItems(ifA1, ctxA1), ...nseItems(peerA, peerCtx, "client")]);
        await dpB.resync([...nseItems(ifB1, ctxB1), ...nseItems(peerB, peerCtx)]);

        expect(await ping(a1, "172.16.2.1")).toBe(true);
        expect(await ping(a1, "172.16.2.2")).toBe(true);
        expect(await ping(b1, "172.16.1.2")).toBe(true);
      });
    });

    describe("teardown", () => {
      it("leaves no namespace, link or route of the test", async () => {
        const names = [...scope.names];
        await forwarder.close();
        for (const ns of names) {
          expect((await linkNames(ns)).filter((n) => n !== "lo")).toEqual([]);
          expect(await ipJson(["route", "show", "table", "main"], { netns: ns })).toEqual([]);
        }
        await scope.cleanup();
        const left = await listNetns();
        expect(names.filter((n) => left.includes(n))).toEqual([]);
        const rootLinks = (await ipJson<{ ifname: string }>(["link", "show"])).map((l) => l.ifname);
        expect(rootLinks.filter((n) => ifNames.includes(n) || n === "nsm-1")).toEqual([]);
      });
    });
  },
);
