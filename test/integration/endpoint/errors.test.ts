// What a bad or unservable Request gets back through a real socket, and that it changes nothing:
// no connection, no address held, nothing in the data plane.
import { afterEach, describe, expect, it } from "vitest";
import { PEER_REQUEST_LABEL } from "../../../src/registry/labels.js";
import { codeOf, nscRequest, type RequestShape, startTestNse, type TestNse } from "../../support/endpoint.js";

let t: TestNse | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

async function failure(req: RequestShape): Promise<{ code: string; details: string }> {
  try {
    await t!.request(req);
  } catch (e) {
    return { code: codeOf(e), details: (e as { details?: string }).details ?? "" };
  }
  throw new Error("the request succeeded");
}

/** Nothing is left behind: no connection, no address, nothing programmed, nothing announced. */
async function expectNoState(): Promise<void> {
  const { endpoint } = t!.nse;
  expect(Object.keys(endpoint.tree().children)).toHaveLength(0);
  expect(endpoint.addressing().addresses.used).toBe(0);
  expect(endpoint.events.snapshot()).toEqual([]);
  expect(await t!.dataplane.dump()).toEqual([]);
}

const withConnection = (patch: Record<string, unknown>): RequestShape => {
  const r = nscRequest({ name: "nsc-bad" });
  return { ...r, connection: { ...r.connection, ...patch } };
};
const withIp = (ipContext: Record<string, unknown>) => nscRequest({ name: "nsc-bad", ipContext });

describe("bad requests", () => {
  it.each<[string, RequestShape]>([
    ["connection", { mechanismPreferences: [] }],
    ["connection.network_service", withConnection({ networkService: "" })],
    ["connection.network_service", withConnection({ networkService: "somebody-else" })],
    [
      "connection.path.index",
      withConnection({ path: { index: 3, pathSegments: [{ name: "nsc-bad", id: "x" }] } }),
    ],
    ["connection.context.ip_context.src_ip_addrs[0]", withIp({ srcIpAddrs: ["172.16.0.999/32"] })],
    ["connection.context.ip_context.dst_ip_addrs[0]", withIp({ dstIpAddrs: ["nonsense"] })],
    ["connection.context.ip_context.excluded_prefixes[0]", withIp({ excludedPrefixes: ["10.0.0.0/40"] })],
    ["connection.context.ip_context.src_routes[0].prefix", withIp({ srcRoutes: [{ prefix: "10.0.0.0" }] })],
    [
      "connection.context.ip_context.dst_routes[0].nextHop",
      withIp({ dstRoutes: [{ prefix: "10.0.0.0/8", nextHop: "x" }] }),
    ],
    ["mechanism_preferences", { ...nscRequest(), mechanismPreferences: [{ cls: "REMOTE", type: "VXLAN" }] }],
  ])("answers INVALID_ARGUMENT naming %s, and changes nothing", async (field, req) => {
    t = await startTestNse();
    const f = await failure(req);
    expect(f.code).toBe("INVALID_ARGUMENT");
    expect(f.details.startsWith(`${field}:`)).toBe(true);
    await expectNoState();
    // Nothing was consumed: the next NSC still gets the first address.
    const ok = await t.request(nscRequest());
    expect(ok.context!.ipContext!.srcIpAddrs).toEqual(["172.16.0.2/32"]);
  });

  it("answers PERMISSION_DENIED to a peer request from an NSE that is not a registered peer", async () => {
    t = await startTestNse();
    const f = await failure(nscRequest({ labels: { [PEER_REQUEST_LABEL]: "nse-stranger" } }));
    expect(f.code).toBe("PERMISSION_DENIED");
    expect(f.details).toContain(PEER_REQUEST_LABEL);
    await expectNoState();
  });
});

describe("requests that cannot be served", () => {
  it("answers RESOURCE_EXHAUSTED when the prefix is full, and serves again once an NSC left", async () => {
    t = await startTestNse({ env: { NSM_PREFIX_LEN: "29" } });
    const held = [];
    for (let i = 0; i < 5; i++) held.push(await t.request(nscRequest({ name: `nsc-${i}` })));
    const f = await failure(nscRequest({ name: "nsc-one-too-many" }));
    expect(f.code).toBe("RESOURCE_EXHAUSTED");
    expect(f.details).toContain("172.16.0.0/29");
    expect(t.nse.endpoint.addressing().addresses.used).toBe(5);
    await t.close(held[0]!);
    await expect(t.request(nscRequest({ name: "nsc-one-too-many" }))).resolves.toBeDefined();
  });

  it("answers a data-plane failure with an error and keeps neither programming nor the address", async () => {
    t = await startTestNse();
    t.dataplane.failWhen = (txn) => txn.put.length > 0;
    const f = await failure(nscRequest({ name: "nsc-a" }));
    expect(f.code).toBe("INTERNAL");
    expect(f.details).toContain("injected failure");
    await expectNoState();
    t.dataplane.failWhen = undefined;
    await t.request(nscRequest({ name: "nsc-a" }));
    expect(t.nse.endpoint.addressing().addresses.used).toBe(1);
  });

  it("answers a refresh it cannot program with an error, and closes the connection", async () => {
    t = await startTestNse();
    const conn = await t.request(nscRequest({ name: "nsc-a" }));
    t.dataplane.failWhen = (txn) => txn.put.length > 0;
    // A different mechanism name makes the refresh a change that must be programmed.
    const changed = { ...conn, mechanism: { ...conn.mechanism!, parameters: { name: "eth-other" } } };
    const f = await failure({ connection: { ...changed, path: { ...changed.path!, index: 0 } } });
    expect(f.code).toBe("INTERNAL");
    await expectNoState();
  });
});
