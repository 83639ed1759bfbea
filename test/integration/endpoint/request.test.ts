// Request, refresh and Close through a real socket (unix and TCP loopback): the answer an NSC gets
// (our path segment, id, mechanism, IP context routed to the whole pool) and what the data plane holds.
import { afterEach, describe, expect, it } from "vitest";
import { State } from "../../../src/grpc/gen/networkservice/connection.js";
import { nscRequest, refreshOf, startTestNse, type TestNse } from "../../support/endpoint.js";

let t: TestNse | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

const ipOf = (c: { context?: { ipContext?: unknown } }) => c.context!.ipContext as Record<string, unknown>;

describe.each(["unix", "tcp"] as const)("Request over %s", (transport) => {
  it("answers with our path segment, the connection id, a mechanism and the NSC's IP context", async () => {
    t = await startTestNse({ transport });
    const conn = await t.request(nscRequest({ name: "nsc-a" }));
    const [theirs, ours] = conn.path!.pathSegments;
    expect(theirs!.name).toBe("nsc-a");
    expect(ours!.name).toBe("nse-test");
    expect(ours!.expires!.getTime()).toBeGreaterThan(Date.now());
    expect(conn.id).toBe(ours!.id);
    expect(conn.path!.index).toBe(0);
    expect(conn.networkServiceEndpointName).toBe("nse-test");
    expect(conn.state).toBe(State.UP);
    expect(conn.mechanism).toMatchObject({ cls: "LOCAL", type: "KERNEL" });
    expect(conn.mechanism!.parameters.name).toMatch(/^nsc-[0-9a-v]{11}$/);
    expect(ipOf(conn)).toMatchObject({
      srcIpAddrs: ["172.16.0.2/32"],
      dstIpAddrs: ["172.16.0.1/32"],
      srcRoutes: [
        { prefix: "172.16.0.1/32", nextHop: "" },
        { prefix: "172.16.0.0/24", nextHop: "172.16.0.1" },
        { prefix: "172.16.0.0/16", nextHop: "172.16.0.1" },
      ],
      dstRoutes: [{ prefix: "172.16.0.2/32", nextHop: "" }],
    });
  });
});

describe("IP context", () => {
  it("routes the whole pool as configured (a /14, not a fixed /16)", async () => {
    t = await startTestNse({ env: { NSM_PREFIX_POOL: "10.8.0.0/14", NSM_PREFIX: "10.9.4.0/24" } });
    const conn = await t.request(nscRequest());
    expect(ipOf(conn)).toMatchObject({
      srcIpAddrs: ["10.9.4.2/32"],
      dstIpAddrs: ["10.9.4.1/32"],
      srcRoutes: [
        { prefix: "10.9.4.1/32", nextHop: "" },
        { prefix: "10.9.4.0/24", nextHop: "10.9.4.1" },
        { prefix: "10.8.0.0/14", nextHop: "10.9.4.1" },
      ],
    });
  });

  it("serves an IPv6 pool", async () => {
    t = await startTestNse({ env: { NSM_PREFIX_POOL: "fd00:1::/48", NSM_PREFIX_LEN: "64" } });
    const conn = await t.request(nscRequest());
    expect(ipOf(conn)).toMatchObject({
      srcIpAddrs: ["fd00:1::2/128"],
      dstIpAddrs: ["fd00:1::1/128"],
      srcRoutes: [
        { prefix: "fd00:1::1/128", nextHop: "" },
        { prefix: "fd00:1::/64", nextHop: "fd00:1::1" },
        { prefix: "fd00:1::/48", nextHop: "fd00:1::1" },
      ],
      dstRoutes: [{ prefix: "fd00:1::2/128", nextHop: "" }],
    });
  });

  it("gives each NSC its own address, in order", async () => {
    t = await startTestNse();
    const a = await t.request(nscRequest({ name: "nsc-a" }));
    const b = await t.request(nscRequest({ name: "nsc-b" }));
    expect([ipOf(a).srcIpAddrs, ipOf(b).srcIpAddrs]).toEqual([["172.16.0.2/32"], ["172.16.0.3/32"]]);
    expect(a.id).not.toBe(b.id);
  });

  it("keeps the address an NSC asks for (a healing client keeps its IP), unless another holds it", async () => {
    t = await startTestNse();
    const held = await t.request(
      nscRequest({ name: "nsc-a", ipContext: { srcIpAddrs: ["172.16.0.77/32"] } }),
    );
    expect(ipOf(held).srcIpAddrs).toEqual(["172.16.0.77/32"]);
    const clash = await t.request(
      nscRequest({ name: "nsc-b", ipContext: { srcIpAddrs: ["172.16.0.77/32"] } }),
    );
    expect(ipOf(clash).srcIpAddrs).toEqual(["172.16.0.2/32"]);
  });

  it("replaces addresses and routes of the pool from elsewhere; keeps the NSC's other ones", async () => {
    t = await startTestNse();
    const conn = await t.request(
      nscRequest({
        ipContext: {
          srcIpAddrs: ["172.16.9.5/32", "192.168.7.7/32"],
          srcRoutes: [
            { prefix: "172.16.9.0/24", nextHop: "172.16.9.1" },
            { prefix: "10.1.0.0/16", nextHop: "" },
          ],
        },
      }),
    );
    expect(ipOf(conn).srcIpAddrs).toEqual(["192.168.7.7/32", "172.16.0.2/32"]);
    expect((ipOf(conn).srcRoutes as Array<{ prefix: string }>).map((r) => r.prefix)).toEqual([
      "10.1.0.0/16",
      "172.16.0.1/32",
      "172.16.0.0/24",
      "172.16.0.0/16",
    ]);
  });

  it("honours excluded_prefixes", async () => {
    t = await startTestNse();
    const conn = await t.request(
      nscRequest({ ipContext: { excludedPrefixes: ["172.16.0.0/29", "172.16.0.8/31"] } }),
    );
    expect(ipOf(conn).srcIpAddrs).toEqual(["172.16.0.10/32"]);
    expect(ipOf(conn).excludedPrefixes).toEqual(["172.16.0.0/29", "172.16.0.8/31"]);
  });
});

describe("refresh and Close", () => {
  it("answers a refresh with the same connection and context, without programming again", async () => {
    t = await startTestNse();
    const first = await t.request(nscRequest());
    const transactions = t.dataplane.transactions;
    const again = await t.request(refreshOf(first));
    expect(again.id).toBe(first.id);
    expect(again.context).toEqual(first.context);
    expect(again.path!.pathSegments.map((s) => [s.name, s.id])).toEqual(
      first.path!.pathSegments.map((s) => [s.name, s.id]),
    );
    expect(t.dataplane.transactions).toBe(transactions);
  });

  it("programs the link in the data plane, and Close removes it", async () => {
    t = await startTestNse();
    const conn = await t.request(nscRequest({ name: "nsc-a" }));
    const ifName = conn.mechanism!.parameters.name!;
    expect(await t.dataplane.dump()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: "interface", name: ifName, role: "server" }),
        { type: "address", ifName, cidr: "172.16.0.1/32" },
        { type: "route", dst: "172.16.0.2/32", ifName },
      ]),
    );
    await t.close(conn);
    expect(await t.dataplane.dump()).toEqual([]);
  });

  it("frees the address on Close: the next NSC of a full prefix gets it", async () => {
    // A /29 holds 5 NSCs (.2-.6); fresh addresses go out before released ones, so fill it first.
    t = await startTestNse({ env: { NSM_PREFIX: "172.16.0.0/29" } });
    const held = [];
    for (let i = 0; i < 5; i++) held.push(await t.request(nscRequest({ name: `nsc-${i}` })));
    await t.close(held[3]!);
    const next = await t.request(nscRequest({ name: "nsc-next" }));
    expect(ipOf(next).srcIpAddrs).toEqual(ipOf(held[3]!).srcIpAddrs);
  });

  it("treats a Close of an unknown connection as done", async () => {
    t = await startTestNse();
    const conn = await t.request(nscRequest());
    await t.close(conn);
    await expect(t.close(conn)).resolves.toBeUndefined();
  });

  it("serves a bare client (no path) by its Connection.id", async () => {
    t = await startTestNse();
    const conn = await t.request({ connection: { id: "bare-1", networkService: "vl3-test" } });
    expect(conn.id).toBe("bare-1");
    expect(conn.path!.pathSegments.map((s) => s.name)).toEqual(["nse-test"]);
    const again = await t.request({ connection: conn });
    expect(again.context).toEqual(conn.context);
    await t.close({ ...conn, path: undefined });
    expect(await t.dataplane.dump()).toEqual([]);
  });
});
