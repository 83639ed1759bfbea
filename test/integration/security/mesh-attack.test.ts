// Issue 11's attack at mesh level, with valid tokens this time: clients holding real SVIDs of the
// sandbox's trust domain, each signing its own segment correctly, send through the sandbox nsmgr a
// Request marked as a peer of a registered NSE. Refused PERMISSION_DENIED naming the rule, and the
// serving endpoint programs nothing for it. Then a take-over and a Close of a live NSC's connection
// by another identity, with valid tokens, refused at mesh level while the NSC stays served.
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Connection,
  type ConnectionEvent,
  ConnectionEventType,
  MonitorConnectionClient,
} from "../../../src/grpc/gen/networkservice/connection.js";
import { NetworkServiceClient } from "../../../src/grpc/gen/networkservice/networkservice.js";
import { PEER_REQUEST_LABEL } from "../../../src/registry/labels.js";
import type { SandboxNamespace } from "../../../src/sandbox/trust-domain.js";
import { pathSecurity } from "../../../src/security/path-security.js";
import { type RequestShape, requestOn, targetOf } from "../../support/endpoint.js";
import { eventually, expectFullMesh, Mesh } from "../mesh/helpers.js";

let mesh: Mesh;
const channels: NetworkServiceClient[] = [];
const INTRUDER_ADDRESS = "172.16.250.1/32";

beforeAll(async () => {
  mesh = await Mesh.start(); // the sandbox default: mTLS and path tokens on every hop
  // By the peer rule nse-a dials nse-b, so a request marked "nse-a" is one nse-b would take.
  await mesh.startEndpoint("nse-a", 0);
  await mesh.startEndpoint("nse-b", 1);
  await eventually(() => expectFullMesh(mesh), 20_000);
});

afterAll(async () => {
  for (const c of channels) c.getChannel().close();
  await mesh?.stop();
});

/** A NetworkService client to nsmgr-`node` as `name` of `namespace`: its own SVID, its own valid tokens. */
async function clientAs(name: string, namespace: SandboxNamespace, node: number) {
  const { transport, identity } = await mesh.sb.trustDomain!.security(name, namespace);
  const tokens = pathSecurity({ identity, maxTokenLifetimeMs: 60_000 })!;
  const client = transport
    .withPathTokens(tokens.generate)
    .client(NetworkServiceClient, targetOf(mesh.sb.nsmgrs[node]!.url));
  channels.push(client);
  return client;
}

/** A peer request of `segment` (its only segment, signed by the caller's per-RPC token) marked `peerOf`. */
const peerRequest = (id: string, segment: string, peerOf: string): RequestShape => ({
  connection: {
    id,
    networkService: mesh.sb.service,
    networkServiceEndpointName: "nse-b",
    labels: { [PEER_REQUEST_LABEL]: peerOf },
    path: { index: 0, pathSegments: [{ name: segment, id, expires: new Date(Date.now() + 60_000) }] },
    context: {
      ipContext: { srcIpAddrs: [INTRUDER_ADDRESS], dstRoutes: [{ prefix: INTRUDER_ADDRESS }] },
    },
  },
  mechanismPreferences: [{ cls: "LOCAL", type: "KERNEL", parameters: {} }],
});

const outcome = (work: Promise<unknown>) =>
  work.then(
    () => ({ code: "OK", details: "" }),
    (e: grpc.ServiceError) => ({ code: grpc.status[e.code], details: e.details }),
  );

const call = <T>(fn: (cb: (err: grpc.ServiceError | null, res: T) => void) => void) =>
  new Promise<T>((resolve, reject) => fn((err, res) => (err ? reject(err) : resolve(res))));

describe("peer spoofing through the sandbox nsmgr with valid tokens", () => {
  it.each([
    {
      who: "a client of the trust domain naming its own segment",
      as: ["intruder", "default"] as const,
      segment: "intruder",
      peerOf: "nse-a",
      rule: /rule peer_origin: "intruder" sent this request, not the peer "nse-a"/,
    },
    {
      who: "a client not allowed to peer naming its segment after the registered NSE",
      as: ["intruder", "default"] as const,
      segment: "nse-a",
      peerOf: "nse-a",
      rule: /rule peer_allowed: identity "spiffe:\/\/sandbox.nsm\/ns\/default\/pod\/intruder" may not peer/,
    },
    {
      who: "an identity allowed to peer posing as the registered NSE (its name on its own segment)",
      as: ["rogue", "vl3"] as const,
      segment: "nse-a",
      peerOf: "nse-a",
      rule: /rule peer_registrant: identity "spiffe:\/\/sandbox.nsm\/ns\/vl3\/pod\/rogue" did not register "nse-a"/,
    },
    {
      who: "an identity allowed to peer that is no registered vL3 NSE of the service",
      as: ["rogue", "vl3"] as const,
      segment: "rogue",
      peerOf: "rogue",
      rule: /rule peer_registered: "rogue" is not a registered vL3 peer/,
    },
  ])("$who is refused, and nse-b programs nothing for it", async ({ as, segment, peerOf, rule }) => {
    const before = await mesh.dataplanes.get("nse-b")!.dump();
    const ns = await clientAs(as[0], as[1], 1);
    const id = `spoof-${as[0]}-${segment}`;
    expect(await outcome(requestOn(ns, peerRequest(id, segment, peerOf)))).toEqual({
      code: "PERMISSION_DENIED",
      details: expect.stringMatching(rule),
    });
    // Nothing via the intruder's address, nothing new toward nse-a's prefix, no actor for the request.
    const after = await mesh.dataplanes.get("nse-b")!.dump();
    expect(after).toEqual(before);
    expect(JSON.stringify(after)).not.toContain(INTRUDER_ADDRESS.split("/")[0]);
    const prefixA = mesh.nse("nse-a").endpoint.prefix!;
    expect(after.filter((i) => i.type === "route" && i.dst === prefixA)).toEqual(
      before.filter((i) => i.type === "route" && i.dst === prefixA),
    );
    expect(
      mesh
        .nse("nse-b")
        .endpoint.tree()
        .children.map((c) => c.id),
    ).not.toContain(id);
    await expectFullMesh(mesh);
  });
});

describe("another identity with valid tokens, at mesh level", () => {
  let victim: Connection;

  beforeAll(async () => {
    const nsc = await mesh.sb.startClient("nsc-1", { node: 0 });
    victim = nsc.connection!;
  });

  /** The victim's own request, segment names and ids as they are, sent by `thief`. */
  const takeOver = (): RequestShape => ({
    connection: { ...victim, path: { index: 0, pathSegments: victim.path!.pathSegments } },
    mechanismPreferences: [{ cls: "LOCAL", type: "KERNEL", parameters: {} }],
  });

  it("cannot take over a live NSC's connection", async () => {
    const ns = await clientAs("thief", "default", 0);
    expect(await outcome(requestOn(ns, takeOver()))).toEqual({
      code: "PERMISSION_DENIED",
      details: expect.stringMatching(/belongs to another client/),
    });
  });

  it("cannot Close it either; the NSC stays served", async () => {
    const ns = await clientAs("thief", "default", 0);
    const served = mesh.nse(victim.networkServiceEndpointName);
    const count = () =>
      served.endpoint.tree().children.filter((c) => c.kind === "connection" && c.subject.kind !== "peer")
        .length;
    expect(count()).toBe(1);
    const closing = call((cb) =>
      ns.close(victim, new grpc.Metadata(), { deadline: Date.now() + 10_000 }, cb),
    );
    expect(await outcome(closing)).toEqual({
      code: "PERMISSION_DENIED",
      details: expect.stringMatching(/belongs to another client/),
    });
    expect(count()).toBe(1);
    // The owner's own refresh still passes.
    await mesh.sb.clients[0]!.connect();
  });

  it("a take-over the endpoint refuses for another reason leaves the owner's entry at the nsmgr", async () => {
    const ns = await clientAs("thief", "default", 0);
    // Malformed: the endpoint refuses it before it asks whose the connection is.
    const malformed = takeOver();
    malformed.connection!.labels = { ...victim.labels, ["k".repeat(1000)]: "v" };
    expect((await outcome(requestOn(ns, malformed))).code).toBe("INVALID_ARGUMENT");
    // The nsmgr still holds nsc-1's connection: its own monitor call there shows it.
    expect(await shownToOwner(victim)).toEqual([victim.id]);
  });

  it("so does a Close the endpoint refuses for another reason", async () => {
    const ns = await clientAs("thief", "default", 0);
    const malformed = { ...victim, labels: { ...victim.labels, ["k".repeat(1000)]: "v" } };
    const closing = call((cb) =>
      ns.close(malformed, new grpc.Metadata(), { deadline: Date.now() + 10_000 }, cb),
    );
    // Before, the nsmgr answered OK and forgot nsc-1's connection while its endpoint kept serving it.
    expect(await outcome(closing)).toEqual({
      code: "INVALID_ARGUMENT",
      details: expect.stringMatching(/^connection\.labels: key 1 has 1000 characters/),
    });
    expect(await shownToOwner(victim)).toEqual([victim.id]);
  });
});

/** What nsc-1's own identity is shown of its connection by nsmgr-0's monitor (by its segment id). */
async function shownToOwner(conn: Connection): Promise<string[]> {
  const { transport } = await mesh.sb.trustDomain!.security("nsc-1", "default");
  const monitor = transport.client(MonitorConnectionClient, targetOf(mesh.sb.nsmgrs[0]!.url));
  try {
    const stream = monitor.monitorConnections({
      pathSegments: [
        { name: "nsc-1", id: conn.path!.pathSegments[0]!.id, token: "", expires: undefined, metrics: {} },
      ],
      networkServices: [],
    });
    stream.on("error", () => {}); // cancelled below: the error it reports is ours
    const ids = await new Promise<string[]>((resolve) =>
      stream.on("data", (e: ConnectionEvent) => {
        if (e.type === ConnectionEventType.INITIAL_STATE_TRANSFER) resolve(Object.keys(e.connections));
      }),
    );
    stream.cancel();
    return ids;
  } finally {
    monitor.close();
  }
}
