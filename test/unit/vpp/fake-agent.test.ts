// The fake vpp-agent itself: it must behave as the agent is documented to, or the back-end tests prove nothing.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Interface } from "../../../src/grpc/gen/ligato/vpp/interfaces/interface.js";
import type { Route } from "../../../src/grpc/gen/ligato/vpp/l3/route.js";
import { AgentCallError, ConfiguratorClient } from "../../../src/vpp/client.js";
import { type FakeAgent, startFakeAgent } from "../../../src/vpp/fake-agent.js";
import { interfaceKey, routeKey } from "../../../src/vpp/keys.js";
import { interfaceKeyOnly, toVppInterface, toVppRoute } from "../../../src/vpp/mapping.js";
import { nscConnection, SOCKET_DIR } from "./fixtures.js";

const opts = { memifSocketDir: SOCKET_DIR };
const nsc = nscConnection("c1", "172.16.1.1", "172.16.1.2");
const memif: Interface = toVppInterface(nsc.iface, ["172.16.1.1/32"], opts);
const route: Route = toVppRoute(nsc.route);
const update = (interfaces: Interface[], routes: Route[], fullResync = false) => ({
  update: { vppConfig: { interfaces, routes } },
  fullResync,
  waitDone: false,
});
const del = (interfaces: Interface[], routes: Route[]) => ({
  delete: { vppConfig: { interfaces, routes } },
  waitDone: false,
});

describe("fake vpp-agent", () => {
  let agent: FakeAgent;
  let client: ConfiguratorClient;
  const clients: ConfiguratorClient[] = [];
  const dial = (datasrc: string) => {
    const c = new ConfiguratorClient(agent.target, { callTimeoutMs: 5_000, datasrc });
    clients.push(c);
    return c;
  };

  beforeEach(async () => {
    agent = await startFakeAgent();
    client = dial("vl3-nse");
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await agent.stop();
  });

  it("refuses a request that carries one key twice and applies none of it", async () => {
    const twice = update([memif, { ...memif, enabled: false }], [route]);
    const err = await client.update(twice).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentCallError);
    expect((err as AgentCallError).code).toBe(grpc.status.FAILED_PRECONDITION);
    expect((err as AgentCallError).details).toContain(
      `found multiple key-value pairs with same key: "${interfaceKey(memif)}"`,
    );
    expect(agent.desired()).toEqual({ interfaces: [], routes: [] });
  });

  it("merges updates, numbers transactions and keeps a route PENDING until its interface exists", async () => {
    const first = await client.update(update([], [route]));
    expect(agent.state(routeKey(route))).toBe("PENDING");
    expect((await client.get())?.vppConfig?.routes).toEqual([route]);
    expect((await client.dump())?.vppConfig?.routes).toEqual([]);
    const second = await client.update(update([memif], []));
    expect(Number(second)).toBe(Number(first) + 1);
    expect(agent.state(routeKey(route))).toBe("CONFIGURED");
    expect((await client.dump())?.vppConfig).toEqual({ interfaces: [memif], routes: [route] });
  });

  it("deletes by key fields only; a route whose interface goes away is PENDING again", async () => {
    await client.update(update([memif], [route]));
    await client.delete(del([interfaceKeyOnly(memif.name)], []));
    expect(agent.state(routeKey(route))).toBe("PENDING");
    const keyOnly: Route = { ...route, weight: 0, preference: 0 };
    await client.delete(del([], [keyOnly]));
    expect(agent.desired()).toEqual({ interfaces: [], routes: [] });
    // Deleting what is not there is not an error.
    await client.delete(del([interfaceKeyOnly("nsc-gone")], []));
  });

  it("replaces only the request's data source on full resync", async () => {
    const other = dial("someone-else");
    const theirs = { ...memif, name: "tap-theirs" };
    await other.update(update([theirs], []));
    await client.update(update([memif], [route]));
    await client.update(update([], [], true));
    expect(agent.running()).toEqual({ interfaces: [theirs], routes: [] });
    expect(agent.updates.map((u) => u.datasrc)).toEqual(["someone-else", "vl3-nse", "vl3-nse"]);
  });

  it("applies best effort: injected failures are listed, the rest stays applied", async () => {
    agent.failKeys(new Set([routeKey(route)]));
    const err = await client.update(update([memif], [route])).catch((e: unknown) => e);
    expect((err as AgentCallError).code).toBe(grpc.status.FAILED_PRECONDITION);
    expect((err as AgentCallError).details).toBe(
      `KeyErrors: [${routeKey(route)} (CREATE): injected failure (fake vpp-agent)]`,
    );
    expect(agent.running()).toEqual({ interfaces: [memif], routes: [] });
    expect(agent.state(routeKey(route))).toBe("FAILED");
    agent.failKeys(undefined);
    await client.update(update([], [route]));
    expect(agent.running().routes).toEqual([route]);
  });

  it("deletes a value that failed without consulting the failure hook (nothing of it is in VPP)", async () => {
    agent.failKeys(() => true);
    await expect(client.update(update([memif], []))).rejects.toBeInstanceOf(AgentCallError);
    await client.delete(del([interfaceKeyOnly(memif.name)], []));
    expect(agent.desired()).toEqual({ interfaces: [], routes: [] });
  });

  it("loses its state on restart and serves on the same address", async () => {
    const target = agent.target;
    await client.update(update([memif], []));
    await agent.restart();
    expect(agent.target).toBe(target);
    const dump = await retry(() => client.dump());
    expect(dump?.vppConfig).toEqual({ interfaces: [], routes: [] });
    expect(agent.calls.update).toBe(1);
  });
});

describe("fake vpp-agent on a unix socket", () => {
  const dir = mkdtempSync(join(tmpdir(), "vl3-fake-agent-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("serves the configurator at unix://", async () => {
    const agent = await startFakeAgent({ target: `unix://${join(dir, "agent.sock")}` });
    const client = new ConfiguratorClient(agent.target, { callTimeoutMs: 5_000, datasrc: "vl3-nse" });
    try {
      await client.update(update([memif], []));
      expect((await client.dump())?.vppConfig?.interfaces).toEqual([memif]);
    } finally {
      client.close();
      await agent.stop();
    }
  });
});

/** A restarted server can take the channel a moment to reconnect to: bounded retries. */
async function retry<T>(fn: () => Promise<T>, attempts = 50): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
