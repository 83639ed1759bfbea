// The VPP back end's reset signal against a FAKE vpp-agent (a grpc-js server on loopback, not VPP): a
// connection to the agent that drops and comes back means the agent may have restarted with nothing,
// and the data-plane queue answers with a resync of everything it wants.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DataplaneQueue } from "../../../src/dataplane/queue.js";
import type { Item } from "../../../src/dataplane/types.js";
import { silentLogger } from "../../../src/log.js";
import { type FakeAgent, startFakeAgent, VppAgentDataplane } from "../../../src/vpp/index.js";

async function waitFor(check: () => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return check();
}

const link: Item[] = [
  {
    type: "interface",
    name: "nsc-reset00001",
    role: "server",
    mechanism: { cls: "LOCAL", type: "MEMIF", parameters: { socketfile: "nsc-reset00001.memif.sock" } },
  },
  { type: "address", ifName: "nsc-reset00001", cidr: "172.16.7.1/32" },
  { type: "route", dst: "172.16.7.2/32", ifName: "nsc-reset00001" },
];

describe("fake vpp-agent: reset signal of the VPP back end", () => {
  let agent: FakeAgent;
  let dp: VppAgentDataplane;

  beforeEach(async () => {
    agent = await startFakeAgent();
    dp = new VppAgentDataplane({
      target: agent.target,
      memifSocketDir: "/tmp/vl3-memif",
      callTimeoutMs: 2000,
    });
  });

  afterEach(async () => {
    await dp.close();
    await agent.stop();
  });

  it("fake vpp-agent: reports a reset each time the agent comes back, not on the first connection", async () => {
    let resets = 0;
    dp.onReset(() => resets++);
    await dp.resync([]);
    await new Promise((r) => setTimeout(r, 200));
    expect(resets).toBe(0);
    await agent.restart();
    expect(await waitFor(() => resets === 1, 10_000)).toBe(true);
    // Down for a while with nothing being configured: it is still noticed when it returns.
    await agent.stop();
    await new Promise((r) => setTimeout(r, 300));
    await agent.start();
    expect(await waitFor(() => resets === 2, 10_000)).toBe(true);
  });

  it("fake vpp-agent: the queue resyncs what it wants into a restarted agent", async () => {
    const queue = new DataplaneQueue(dp, { log: silentLogger(), retry: { initialMs: 50, maxMs: 500 } });
    await queue.resync();
    await queue.set("conn-1", link);
    const before = agent.running();
    expect(before.interfaces).toHaveLength(1);
    await agent.restart();
    expect(agent.running().interfaces).toEqual([]);
    expect(await waitFor(() => agent.running().interfaces.length === 1, 10_000)).toBe(true);
    expect(agent.running()).toEqual(before);
    expect(agent.updates.at(-1)).toMatchObject({ datasrc: "vl3-nse", request: { fullResync: true } });
    await queue.close();
  });

  it("fake vpp-agent: after close, a returning agent triggers nothing", async () => {
    let resets = 0;
    dp.onReset(() => resets++);
    await dp.resync([]);
    await dp.close();
    await agent.restart();
    await new Promise((r) => setTimeout(r, 500));
    expect(resets).toBe(0);
  });
});
