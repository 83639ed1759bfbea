// What a connection actor that broke leaves behind is withdrawn as closing would have: its expiry
// timer, its data-plane items, its address, and (if it had been announced up) a DELETE.
import { describe, expect, it } from "vitest";
import { type ConnectionEffectsDeps, withdrawBroken } from "../../../src/actors/connection-effects.js";
import { ExpiryTimers } from "../../../src/actors/expiry.js";
import { ConnectionEvents } from "../../../src/actors/monitor-events.js";
import { MemoryDataplane } from "../../../src/dataplane/memory.js";
import { DataplaneQueue } from "../../../src/dataplane/queue.js";
import { AddressPool } from "../../../src/ipam/address-pool.js";
import { parseCidr } from "../../../src/ipam/cidr.js";
import { silentLogger } from "../../../src/log.js";
import type { ConnectionContext } from "../../../src/machines/connection.machine.js";
import { conn } from "../machines/fixtures.js";

function parts() {
  const dataplane = new MemoryDataplane();
  const queue = new DataplaneQueue(dataplane, { log: silentLogger() });
  const addresses = new AddressPool("172.16.0.0/24");
  const events = new ConnectionEvents();
  const expiry = new ExpiryTimers();
  let ipamChanges = 0;
  const deps: ConnectionEffectsDeps = {
    name: "nse-a",
    addressing: () => ({ pool: parseCidr("172.16.0.0/16"), addresses, extraRoutes: [] }),
    queue,
    events,
    expiry,
    onIpamChange: () => ipamChanges++,
    onLink: () => {},
  };
  return { deps, dataplane, queue, addresses, events, expiry, ipamChanges: () => ipamChanges };
}

const context = (committed?: ReturnType<typeof conn>): ConnectionContext => ({
  id: "c1",
  kind: "client",
  owner: { name: "nsc-1", id: "c1" },
  request: conn("c1"),
  lifetimeMs: 60_000,
  generation: 1,
  committed,
});

describe("withdrawBroken", () => {
  it("disarms the expiry, frees the address, removes the items and announces the DELETE", async () => {
    const p = parts();
    const address = p.addresses.allocate("c1");
    const mechanism = { cls: "LOCAL", type: "KERNEL", parameters: {} };
    await p.queue.set("c1", [{ type: "interface", name: "nsc-c1", role: "server", mechanism }]);
    expect(await p.dataplane.dump()).toHaveLength(1);
    p.events.update(conn("c1", address));
    let expired = false;
    p.expiry.arm("c1", 20, {
      send: () => {
        expired = true;
      },
    });
    const deleted: string[] = [];
    p.events.subscribe((e) => e.type === "DELETE" && deleted.push(e.connection.id));
    await withdrawBroken(p.deps, context(conn("c1", address)));
    expect(p.addresses.addressOf("c1")).toBeUndefined();
    expect(p.ipamChanges()).toBe(1);
    expect(p.queue.ownedBy("c1")).toEqual([]);
    expect(await p.dataplane.dump()).toEqual([]);
    expect(deleted).toEqual(["c1"]);
    await new Promise((r) => setTimeout(r, 40));
    expect(expired).toBe(false);
    await p.queue.close();
  });

  it("announces nothing for a connection that was never answered", async () => {
    const p = parts();
    p.addresses.allocate("c1");
    const seen: string[] = [];
    p.events.subscribe((e) => seen.push(e.type));
    await withdrawBroken(p.deps, context());
    expect(seen).toEqual([]);
    expect(p.addresses.addressOf("c1")).toBeUndefined();
    await p.queue.close();
  });
});
