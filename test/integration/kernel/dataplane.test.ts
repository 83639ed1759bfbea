// KernelDataplane on real veths in a network namespace made by the test: apply, delete, rollback,
// resync and dump, checked against what `ip -j` reads back.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DataplaneUnavailableError, type Item, itemKey } from "../../../src/dataplane/types.js";
import { KernelDataplane, KernelTransactionError } from "../../../src/kernel/dataplane.js";
import { ipBatch, ipJson } from "../../../src/kernel/ip.js";
import { readSysctl, writeSysctls } from "../../../src/kernel/sysctl.js";
import { canUseNetns, netnsScope } from "../../support/netns.js";

const A = "nsc-test00000a";
const B = "nsc-test00000b";

function iface(name: string): Item {
  return {
    type: "interface",
    name,
    role: "server",
    mechanism: { cls: "LOCAL", type: "KERNEL", parameters: { name } },
  };
}
const addrA: Item = { type: "address", ifName: A, cidr: "172.16.1.1/32" };
const addrA6: Item = { type: "address", ifName: A, cidr: "fd00:0:0::1/128" };
const hostA: Item = { type: "route", dst: "172.16.1.2/32", ifName: A };
const poolA: Item = { type: "route", dst: "172.16.0.0/16", ifName: A, via: "172.16.1.2" };
const pool6A: Item = { type: "route", dst: "fd01::/64", ifName: A, via: "fd00::2" };
const addrB: Item = { type: "address", ifName: B, cidr: "172.16.1.1/32" };
const hostB: Item = { type: "route", dst: "172.16.1.3/32", ifName: B };

const keys = (items: Item[]) => items.map(itemKey).sort();
/** What dump reports, without the interface items (those depend only on links being up). */
const ipItems = (items: Item[]) => keys(items.filter((i) => i.type !== "interface"));

describe.skipIf(!canUseNetns())("KernelDataplane on real veths (needs root and ip netns)", () => {
  const scope = netnsScope();
  let nse: string;
  let dp: KernelDataplane;

  beforeAll(async () => {
    nse = await scope.create("dp");
    // The forwarder's job, done by hand: two veths whose NSE ends are ours and whose peers are not.
    await ipBatch(
      [
        `link add name ${A} type veth peer name peer-a`,
        `link add name ${B} type veth peer name peer-b`,
        "link set dev peer-a up",
        "link set dev peer-b up",
      ],
      { netns: nse },
    );
    dp = new KernelDataplane({ netns: nse });
  });

  afterAll(async () => {
    await dp?.close();
    await scope.cleanup();
  });

  it("applies links, addresses and routes, and dump reads them back in canonical form", async () => {
    await dp.apply({ put: [pool6A, poolA, hostA, addrA6, addrA, iface(A)], del: [] });
    const dump = await dp.dump();
    expect(ipItems(dump)).toEqual(keys([addrA, { ...addrA6, cidr: "fd00::1/128" }, hostA, poolA, pool6A]));
    expect(dump.filter((i) => i.type === "interface")).toEqual([iface(A)]);
    const [link] = await ipJson<{ flags: string[] }>(["link", "show", "dev", A], { netns: nse });
    expect(link!.flags).toContain("UP");
  });

  it("is idempotent: the same transaction again changes nothing", async () => {
    const before = await dp.dump();
    await dp.apply({ put: [iface(A), addrA, addrA6, hostA, poolA, pool6A], del: [] });
    expect(keys(await dp.dump())).toEqual(keys(before));
  });

  it("deletes routes and addresses but leaves the link, and deleting again is fine", async () => {
    const txn = { put: [], del: [iface(A), addrA, addrA6, hostA, poolA, pool6A] };
    await dp.apply(txn);
    expect(ipItems(await dp.dump())).toEqual([]);
    expect(await ipJson(["link", "show", "dev", A], { netns: nse })).toHaveLength(1);
    await dp.apply(txn);
  });

  it("fails clearly when the interface does not exist, leaving nothing", async () => {
    const err = await dp
      .apply({
        put: [
          iface("nsc-missing0000"),
          { type: "address", ifName: "nsc-missing0000", cidr: "172.16.9.1/32" },
        ],
        del: [],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KernelTransactionError);
    expect((err as Error).message).toMatch(/link set dev nsc-missing0000 up.*does not exist/);
    expect(ipItems(await dp.dump())).toEqual([]);
  });

  it("rolls a half-applied transaction back: nothing of it stays, what it deleted comes back", async () => {
    await dp.apply({ put: [iface(B), addrB, hostB], del: [] });
    const err = await dp
      .apply({
        put: [
          iface(A),
          addrA,
          hostA,
          poolA,
          { type: "route", dst: "172.16.2.0/24", ifName: "nsc-gone0000000" },
        ],
        del: [hostB],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KernelTransactionError);
    expect((err as Error).message).toContain('"route replace 172.16.2.0/24 dev nsc-gone0000000" failed');
    expect((err as Error).message).toMatch(/rolled back 4 command/);
    expect(ipItems(await dp.dump())).toEqual(keys([addrB, hostB]));
  });

  it("keeps on rollback what was there before the transaction", async () => {
    const err = await dp
      .apply({
        put: [
          addrB,
          { type: "route", dst: "172.16.3.0/24", ifName: B, via: "172.16.1.1" },
          { type: "address", ifName: "nsc-gone0000000", cidr: "172.16.5.5/32" },
        ],
        del: [],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KernelTransactionError);
    expect(ipItems(await dp.dump())).toEqual(keys([addrB, hostB]));
  });

  it("deletes addresses and routes of a link that is already gone without error", async () => {
    await ipBatch([`link del dev ${B}`], { netns: nse });
    await dp.apply({ put: [], del: [hostB, addrB, iface(B)] });
    expect(ipItems(await dp.dump())).toEqual([]);
  });

  it("resync removes what is not desired on our links only, applies the rest, turns forwarding on", async () => {
    await writeSysctls([{ key: "net/ipv4/ip_forward", value: "0" }], { netns: nse });
    await ipBatch(
      [
        `addr replace 172.16.7.7/32 dev ${A}`,
        `route replace 172.16.8.0/24 dev ${A}`,
        "addr replace 198.18.0.1/32 dev peer-a",
        "route replace 198.18.1.0/24 dev peer-a",
      ],
      { netns: nse },
    );
    await dp.resync([iface(A), addrA, hostA, poolA]);
    expect(ipItems(await dp.dump())).toEqual(keys([addrA, hostA, poolA]));
    const peer = await ipJson<{ addr_info: { local: string }[] }>(["addr", "show", "dev", "peer-a"], {
      netns: nse,
    });
    expect(peer[0]!.addr_info.map((a) => a.local)).toContain("198.18.0.1");
    const routes = await ipJson<{ dst: string }>(["route", "show", "dev", "peer-a"], { netns: nse });
    expect(routes.map((r) => r.dst)).toContain("198.18.1.0/24");
    expect(await readSysctl("net/ipv4/ip_forward", { netns: nse })).toBe("1");
  });

  it("reports a missing namespace as an unavailable back end", async () => {
    const gone = new KernelDataplane({ netns: `vl3t-absent-${process.pid}` });
    await expect(gone.apply({ put: [iface(A)], del: [] })).rejects.toBeInstanceOf(DataplaneUnavailableError);
    await expect(gone.dump()).rejects.toBeInstanceOf(DataplaneUnavailableError);
    await expect(gone.resync([])).rejects.toBeInstanceOf(DataplaneUnavailableError);
  });
});
