// NSM's vL3 rules for MTU and for the prefix server's excludes, through real gRPC clients: the
// smallest MTU seen is every connection's, and the others are asked to refresh; the addresses a
// PrefixResponse excludes are never handed out, also after the server changes them.
import * as grpc from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { IPAMService, type PrefixRequest, type PrefixResponse } from "../../../src/grpc/gen/ipam/ipam.js";
import { type Connection, State } from "../../../src/grpc/gen/networkservice/connection.js";
import { silentLogger } from "../../../src/log.js";
import { IpamPrefixSource } from "../../../src/prefix/ipam-source.js";
import {
  byEndpoint,
  nscRequest,
  refreshOf,
  startTestNse,
  type TestNse,
  waitFor,
  watch,
} from "../../support/endpoint.js";

let nse: TestNse | undefined;
let ipam: grpc.Server | undefined;
afterEach(async () => {
  await nse?.stop();
  nse = undefined;
  ipam?.forceShutdown();
  ipam = undefined;
});

describe("the vL3 MTU (NSM's vl3mtu)", () => {
  it("clamps to the smallest MTU seen and asks the other connections to refresh when it goes down", async () => {
    nse = await startTestNse();
    const monitor = watch(nse.monitor, byEndpoint());
    const first = await nse.request(nscRequest({ name: "nsc-1" }));
    expect(first.context?.MTU).toBe(9000);

    const low = nscRequest({ name: "nsc-2" });
    low.connection!.context = { MTU: 1446 };
    expect((await nse.request(low)).context?.MTU).toBe(1446);
    const asked = await monitor.next(
      (e) =>
        Object.values(e.connections).some((c) => c.id === first.id && c.state === State.REFRESH_REQUESTED),
      "a REFRESH_REQUESTED for the first connection",
    );
    expect(Object.values(asked.connections).find((c) => c.id === first.id)?.context?.MTU).toBe(1446);
    // The first client re-requests with what it had (9000) and gets the vL3's MTU.
    expect((await nse.request(refreshOf(first))).context?.MTU).toBe(1446);

    const high = nscRequest({ name: "nsc-3" });
    high.connection!.context = { MTU: 1500 };
    expect((await nse.request(high)).context?.MTU).toBe(1446);
    monitor.cancel();
  });
});

/** A prefix server whose answers the test writes: one stream, answered as told. */
async function scriptedIpam(): Promise<{ target: string; answer(r: PrefixResponse): void }> {
  let stream: grpc.ServerDuplexStream<PrefixRequest, PrefixResponse> | undefined;
  let first: PrefixResponse | undefined;
  const server = new grpc.Server();
  server.addService(IPAMService, {
    managePrefixes: (call: grpc.ServerDuplexStream<PrefixRequest, PrefixResponse>) => {
      stream = call;
      call.on("data", () => first && call.write(first));
      call.on("error", () => {});
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  ipam = server;
  return {
    target: `127.0.0.1:${port}`,
    answer: (r) => {
      first ??= r;
      stream?.write(r);
    },
  };
}

describe("exclude_prefixes from the prefix server", () => {
  it("are never handed out, and after a change the clients holding them are moved", async () => {
    const server = await scriptedIpam();
    server.answer({ prefix: "172.16.0.0/24", excludePrefixes: ["172.16.0.2/31", "172.16.9.0/24"] });
    const prefixSource = new IpamPrefixSource({
      target: server.target,
      identity: { id: "nse-test", pool: "172.16.0.0/16", prefixLen: 24 },
      log: silentLogger(),
    });
    nse = await startTestNse({ prefixSource });
    const conns: Connection[] = [];
    for (const name of ["a", "b", "c"]) conns.push(await nse.request(nscRequest({ name })));
    const addresses = conns.map((c) => c.context!.ipContext!.srcIpAddrs[0]);
    expect(addresses).toEqual(["172.16.0.4/32", "172.16.0.5/32", "172.16.0.6/32"]);

    const monitor = watch(nse.monitor, byEndpoint());
    server.answer({ prefix: "172.16.0.0/24", excludePrefixes: ["172.16.0.4/31"] });
    await monitor.next(
      (e) =>
        Object.values(e.connections).some(
          (c) => c.id === conns[0]!.id && c.state === State.REFRESH_REQUESTED,
        ),
      "a heal of the connection whose address is now excluded",
    );
    await waitFor(async () => {
      const now = await Promise.all(conns.map((c) => nse!.request(refreshOf(c))));
      const got = now.map((c) => c.context!.ipContext!.srcIpAddrs[0]!);
      return !got.includes("172.16.0.4/32") && !got.includes("172.16.0.5/32") && got[2] === "172.16.0.6/32";
    }, "every client off the excluded addresses, the others kept");
    monitor.cancel();
  });
});
