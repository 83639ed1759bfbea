// The vL3 mesh on the VPP back end, against FAKE vpp-agents (src/vpp/fake-agent.ts: not VPP, it
// programs nothing; it keeps the agent's desired and "in VPP" state as the real one documents it).
// 3 endpoints, each with its own agent, over 2 sandbox nsmgrs; 6 NSCs asking for MEMIF. Each agent
// must hold a memif per connection and routes to the other endpoints' prefixes, and one that restarts
// with its state lost must be brought back to the endpoint's desired state.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { converged } from "../../../src/cli/demo.js";
import { type Item, itemKey } from "../../../src/dataplane/types.js";
import { Interface_Type } from "../../../src/grpc/gen/ligato/vpp/interfaces/interface.js";
import { type Sandbox, startSandbox } from "../../../src/sandbox/index.js";
import { type FakeAgent, startFakeAgent, VppAgentDataplane } from "../../../src/vpp/index.js";

const ENDPOINTS = ["vl3-nse-a", "vl3-nse-b", "vl3-nse-c"];
const CLIENTS = 6;

/** Polls until `check` holds or `timeoutMs` passes (bounded); returns its last result. */
async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 100) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return check();
}

const keys = (items: Item[]) => items.map(itemKey).sort();

describe("fake vpp-agent: the vL3 mesh on the VPP back end", () => {
  const agents = new Map<string, FakeAgent>();
  const dataplanes = new Map<string, VppAgentDataplane>();
  const memifDir = mkdtempSync(join(tmpdir(), "vl3-memif-"));
  let sb: Sandbox | undefined;

  /** The agent's state read back as items equals everything the endpoint wants programmed. */
  const agentConverged = async (name: string) => {
    const want = keys(sb!.endpoints.get(name)!.endpoint.queue.desired());
    const dumped = await dataplanes
      .get(name)!
      .dump()
      .catch(() => undefined); // the agent is down
    return want.length > 0 && JSON.stringify(dumped && keys(dumped)) === JSON.stringify(want);
  };
  const allConverged = async () =>
    converged(sb!) && (await Promise.all(ENDPOINTS.map(agentConverged))).every(Boolean);

  beforeAll(async () => {
    sb = await startSandbox({ nodes: 2, pool: "172.16.0.0/16", prefixLen: 24, registryExpiryMs: 2000 });
    for (const [i, name] of ENDPOINTS.entries()) {
      const agent = await startFakeAgent();
      const dataplane = new VppAgentDataplane({
        target: agent.target,
        memifSocketDir: memifDir,
        callTimeoutMs: 2000,
      });
      agents.set(name, agent);
      dataplanes.set(name, dataplane);
      await sb.startEndpoint(name, { node: i, dataplane });
    }
    for (let i = 1; i <= CLIENTS; i++) await sb.startClient(`nsc-${i}`, { node: i, mechanism: "MEMIF" });
    expect(await waitFor(allConverged, 30_000)).toBe(true);
  }, 60_000);

  afterAll(async () => {
    await sb?.stop();
    for (const agent of agents.values()) await agent.stop();
    rmSync(memifDir, { recursive: true, force: true });
  }, 60_000);

  it("fake vpp-agent: every link is negotiated as MEMIF", () => {
    for (const c of sb!.clients) expect(c.connection?.mechanism?.type, c.name).toBe("MEMIF");
    for (const e of sb!.endpoints.values()) {
      const interfaces = e.endpoint.queue.desired().filter((i) => i.type === "interface");
      for (const i of interfaces) expect(i.mechanism.type, `${e.config.name} ${i.name}`).toBe("MEMIF");
    }
  });

  it("fake vpp-agent: each agent holds a memif per connection and routes to the other endpoints' prefixes", () => {
    for (const name of ENDPOINTS) {
      const running = agents.get(name)!.running();
      const clients = sb!.clients.filter((c) => c.endpoint === name);
      // One memif per NSC connection and one per peer link.
      const memifs = running.interfaces.filter((i) => i.type === Interface_Type.MEMIF);
      expect(memifs, name).toHaveLength(clients.length + ENDPOINTS.length - 1);
      for (const c of clients) {
        const route = running.routes.find((r) => r.dstNetwork === c.address);
        expect(route, `${name}: route to ${c.name} ${c.address}`).toBeDefined();
        expect(memifs.map((m) => m.name)).toContain(route!.outgoingInterface);
      }
      for (const other of ENDPOINTS.filter((o) => o !== name)) {
        const prefix = sb!.endpoints.get(other)!.endpoint.prefix!;
        const route = running.routes.find((r) => r.dstNetwork === prefix);
        expect(route, `${name}: route to ${other}'s ${prefix}`).toBeDefined();
        expect(memifs.map((m) => m.name)).toContain(route!.outgoingInterface);
      }
    }
  });

  it("fake vpp-agent: a restarted agent (state lost) converges to the desired state again", async () => {
    const name = ENDPOINTS[1]!;
    const agent = agents.get(name)!;
    const before = agent.running();
    const addresses = sb!.clients.map((c) => c.address);
    await agent.restart();
    expect(agent.running().interfaces).toEqual([]);

    expect(await waitFor(allConverged, 20_000)).toBe(true);
    expect(agent.running()).toEqual(before);
    // The control plane did not notice: same connections, same addresses.
    expect(sb!.clients.map((c) => c.address)).toEqual(addresses);
    expect(sb!.clients.every((c) => c.heals === 0)).toBe(true);
  }, 30_000);

  it("fake vpp-agent: an agent down for a while gets what changed meanwhile once it is back", async () => {
    const name = ENDPOINTS[0]!;
    const agent = agents.get(name)!;
    const leaving = sb!.clients.find((c) => c.endpoint === name)!;
    await agent.stop();
    // An NSC of this endpoint leaves while its agent is down: the removal waits for the agent.
    sb!.clients.splice(sb!.clients.indexOf(leaving), 1);
    const closed = leaving.close();
    await new Promise((r) => setTimeout(r, 500));
    await agent.start();
    await closed;
    expect(await waitFor(allConverged, 20_000)).toBe(true);
    const memifs = agent.running().interfaces.filter((i) => i.type === Interface_Type.MEMIF);
    const clients = sb!.clients.filter((c) => c.endpoint === name);
    expect(memifs).toHaveLength(clients.length + ENDPOINTS.length - 1);
    expect(agent.running().routes.find((r) => r.dstNetwork === leaving.address)).toBeUndefined();
  }, 60_000);
});
