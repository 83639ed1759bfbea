// Faults answered right, through a real socket: a registry that cannot be asked during the peer
// check is UNAVAILABLE (retryable), not PERMISSION_DENIED; a prefix outside the pool from a prefix
// source is refused with a log and a signal, never thrown into the source's stream handler.
import { createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { LifecycleSignal } from "../../../src/actors/observe.js";
import { PEER_REQUEST_LABEL } from "../../../src/registry/labels.js";
import { codeOf, nscRequest, startTestNse, type TestNse } from "../../support/endpoint.js";
import { MovablePrefix } from "../../support/movable-prefix.js";

let t: TestNse | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

/** A loopback port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

describe("faults", () => {
  it("answers a peer request UNAVAILABLE when the registry cannot be asked", async () => {
    const port = await closedPort();
    t = await startTestNse({
      env: { NSM_REGISTRY_URL: `tcp://127.0.0.1:${port}`, NSM_DIAL_TIMEOUT: "500ms" },
    });
    // nse-a sorts before nse-test: by the peer rule it is the side that dials.
    const req = nscRequest({ name: "nse-a", labels: { [PEER_REQUEST_LABEL]: "nse-a" } });
    const err = await t.request(req).catch((e) => e);
    expect(codeOf(err)).toBe("UNAVAILABLE");
    expect((err as { details: string }).details).toContain("registry");
    expect(t.nse.endpoint.tree().children).toHaveLength(0);
  });

  it("refuses a prefix outside the pool from its source: logged, signalled, the prefix kept", async () => {
    const source = new MovablePrefix("172.16.0.0/24");
    t = await startTestNse({ prefixSource: source });
    const held = await t.request(nscRequest({ name: "nsc-a" }));
    const signals: LifecycleSignal[] = [];
    const off = t.nse.endpoint.onSignal((s) => signals.push(s));
    expect(() => source.move("10.9.0.0/24")).not.toThrow();
    expect(() => source.move("not a prefix")).not.toThrow();
    off();
    expect(signals.filter((s) => s.type === "prefix-refused")).toEqual([
      {
        type: "prefix-refused",
        prefix: "10.9.0.0/24",
        source: "movable",
        reason: "outside the pool 172.16.0.0/16",
      },
      { type: "prefix-refused", prefix: "not a prefix", source: "movable", reason: "not a CIDR" },
    ]);
    expect(t.nse.endpoint.prefix).toBe("172.16.0.0/24");
    // Still serving, in the prefix it holds.
    const next = await t.request(nscRequest({ name: "nsc-b" }));
    expect(next.context!.ipContext!.srcIpAddrs[0]).toMatch(/^172\.16\.0\./);
    expect(held.context!.ipContext!.srcIpAddrs[0]).toMatch(/^172\.16\.0\./);
  });
});
