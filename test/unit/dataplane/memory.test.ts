// The in-memory back end keeps the data-plane contract: keyed items, all-or-nothing transactions,
// addresses and routes only on interfaces that exist.
import { describe, expect, it } from "vitest";
import { MemoryDataplane } from "../../../src/dataplane/memory.js";
import {
  DataplaneUnavailableError,
  type InterfaceItem,
  type Item,
  itemKey,
} from "../../../src/dataplane/types.js";

const iface = (name: string): InterfaceItem => ({
  type: "interface",
  name,
  role: "server",
  mechanism: { cls: "LOCAL", type: "KERNEL", parameters: {} },
});
const addr = (ifName: string, cidr = "172.16.0.1/32"): Item => ({ type: "address", ifName, cidr });
const route = (ifName: string, dst: string): Item => ({ type: "route", dst, ifName });
const keys = async (dp: MemoryDataplane) => (await dp.dump()).map(itemKey).sort();

describe("MemoryDataplane", () => {
  it("applies puts and deletes by key", async () => {
    const dp = new MemoryDataplane();
    await dp.apply({ put: [iface("a"), addr("a"), route("a", "172.16.0.2/32")], del: [] });
    await dp.apply({ put: [route("a", "172.16.0.3/32")], del: [route("a", "172.16.0.2/32")] });
    expect(await keys(dp)).toEqual(["address/a/172.16.0.1/32", "interface/a", "route/172.16.0.3/32/a/"]);
    expect(dp.transactions).toBe(2);
  });

  it("refuses an address or route on a missing interface, leaving nothing of the transaction", async () => {
    const dp = new MemoryDataplane();
    await dp.apply({ put: [iface("a")], del: [] });
    await expect(dp.apply({ put: [iface("b"), addr("c")], del: [] })).rejects.toThrow(/missing interface c/);
    expect(await keys(dp)).toEqual(["interface/a"]);
  });

  it("refuses to remove an interface that keeps addresses or routes, unless they go too", async () => {
    const dp = new MemoryDataplane();
    await dp.apply({ put: [iface("a"), addr("a"), route("a", "172.16.0.2/32")], del: [] });
    await expect(dp.apply({ put: [], del: [iface("a"), addr("a")] })).rejects.toThrow(
      /route\/172.16.0.2\/32\/a\//,
    );
    expect(await keys(dp)).toHaveLength(3);
    await dp.apply({ put: [], del: [iface("a"), addr("a"), route("a", "172.16.0.2/32")] });
    expect(await dp.dump()).toEqual([]);
  });

  it("refuses a put on an interface the same transaction removes", async () => {
    const dp = new MemoryDataplane();
    await dp.apply({ put: [iface("a")], del: [] });
    await expect(dp.apply({ put: [addr("a")], del: [iface("a")] })).rejects.toThrow(/missing interface a/);
    expect(await keys(dp)).toEqual(["interface/a"]);
  });

  it("replaces an item put again (a key both deleted and put stays)", async () => {
    const dp = new MemoryDataplane();
    await dp.apply({ put: [iface("a"), addr("a")], del: [] });
    const renamed: InterfaceItem = {
      ...iface("a"),
      mechanism: { cls: "LOCAL", type: "MEMIF", parameters: {} },
    };
    await dp.apply({ put: [renamed], del: [iface("a")] });
    expect(await dp.dump()).toContainEqual(renamed);
    expect(await keys(dp)).toEqual(["address/a/172.16.0.1/32", "interface/a"]);
  });

  it("resyncs to exactly the desired items", async () => {
    const dp = new MemoryDataplane();
    await dp.apply({ put: [iface("a"), addr("a")], del: [] });
    await dp.resync([iface("b"), addr("b")]);
    expect(await keys(dp)).toEqual(["address/b/172.16.0.1/32", "interface/b"]);
    // The index follows the resync: b's address keeps b from being removed alone.
    await expect(dp.apply({ put: [], del: [iface("b")] })).rejects.toThrow(/address\/b/);
    await dp.apply({ put: [], del: [iface("a")] });
  });

  it("throws DataplaneUnavailableError while unavailable, and a plain error when told to fail", async () => {
    const dp = new MemoryDataplane();
    dp.unavailable = true;
    await expect(dp.apply({ put: [iface("a")], del: [] })).rejects.toBeInstanceOf(DataplaneUnavailableError);
    await expect(dp.dump()).rejects.toBeInstanceOf(DataplaneUnavailableError);
    dp.unavailable = false;
    dp.failWhen = () => true;
    await expect(dp.apply({ put: [iface("a")], del: [] })).rejects.toThrow(/injected failure/);
    expect(await dp.dump()).toEqual([]);
  });
});
