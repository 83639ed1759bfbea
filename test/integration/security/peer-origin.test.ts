// The forged origin of issue 11's review, over real sockets: an intruder with its own SVID from the
// sandbox's trust domain puts a made-up segment 0 (a registered NSE's name, a sibling pod's SPIFFE ID,
// signed with its own key) before its correctly signed segment, marked as that NSE's peer request.
// Refused PERMISSION_DENIED naming origin_proven, sent straight to the endpoint and through the
// sandbox nsmgr; meanwhile the real peers, whose tokens carry their x5c chains, link through nsmgrs.
import * as grpc from "@grpc/grpc-js";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NetworkServiceClient } from "../../../src/grpc/gen/networkservice/networkservice.js";
import { PEER_REQUEST_LABEL } from "../../../src/registry/labels.js";
import type { Identity } from "../../../src/security/identity.js";
import { spiffeTokenGenerator } from "../../../src/security/token.js";
import { x5cOf } from "../../../src/security/x5c.js";
import { type RequestShape, requestOn, targetOf } from "../../support/endpoint.js";
import { eventually, expectFullMesh, Mesh } from "../mesh/helpers.js";

let mesh: Mesh;
let intruder: Identity;
const channels: NetworkServiceClient[] = [];

beforeAll(async () => {
  mesh = await Mesh.start({ pathTokens: true });
  // nse-a dials nse-b by the peer rule, so a request marked "nse-a" is one nse-b would take.
  await mesh.startEndpoint("nse-a", 0);
  await mesh.startEndpoint("nse-b", 1);
  await eventually(() => expectFullMesh(mesh), 20_000);
  intruder = (await mesh.sb.trustDomain!.security("intruder", "default")).identity!.current()!;
});

afterAll(async () => {
  for (const c of channels) c.getChannel().close();
  await mesh?.stop();
});

/** A client as the intruder, its own segment's token (with its own x5c) sent as NSM's per-RPC header. */
async function clientTo(url: string): Promise<NetworkServiceClient> {
  const { transport } = await mesh.sb.trustDomain!.security("intruder", "default");
  const generate = spiffeTokenGenerator({ signer: () => intruder, maxLifetimeMs: 60_000 });
  const client = transport.withPathTokens(generate).client(NetworkServiceClient, targetOf(url));
  channels.push(client);
  return client;
}

/** Segment 0 claims nse-a's pod; `ownX5c` adds the intruder's own chain to the header as well. */
async function forgedRequest(id: string, ownX5c = false): Promise<RequestShape> {
  const sibling = mesh.sb.trustDomain!.spiffeId("nse-a", "vl3");
  const header = { alg: "ES256", typ: "JWT", ...(ownX5c ? { x5c: x5cOf(intruder.certChain) } : {}) };
  const forged = await new SignJWT({
    sub: sibling,
    aud: [intruder.spiffeId],
    exp: Math.floor(Date.now() / 1000) + 60,
  })
    .setProtectedHeader(header)
    .sign(intruder.privateKey);
  const expires = new Date(Date.now() + 60_000);
  return {
    connection: {
      id,
      networkService: mesh.sb.service,
      networkServiceEndpointName: "nse-b",
      labels: { [PEER_REQUEST_LABEL]: "nse-a" },
      path: {
        index: 1,
        pathSegments: [
          { name: "nse-a", id: `${id}-a`, token: forged, expires },
          { name: "intruder", id, expires },
        ],
      },
      context: { ipContext: { srcIpAddrs: ["172.16.200.1/32"], dstRoutes: [{ prefix: "172.16.200.0/24" }] } },
    },
    mechanismPreferences: [{ cls: "LOCAL", type: "KERNEL", parameters: {} }],
  };
}

const outcome = (work: Promise<unknown>) =>
  work.then(
    () => ({ code: "OK", details: "" }),
    (e: grpc.ServiceError) => ({ code: grpc.status[e.code], details: e.details }),
  );

describe("a forged origin segment (sandbox with path tokens on every hop)", () => {
  it("is refused by the endpoint itself (origin_proven), and the real peers stay linked", async () => {
    const ns = await clientTo(mesh.nse("nse-b").url);
    expect(await outcome(requestOn(ns, await forgedRequest("forged-direct")))).toEqual({
      code: "PERMISSION_DENIED",
      details: expect.stringMatching(
        /rule origin_proven: identity "spiffe:\/\/sandbox.nsm\/ns\/vl3\/pod\/nse-a" is claimed, not proven/,
      ),
    });
    await expectFullMesh(mesh);
  });

  it("is refused through the sandbox nsmgr, which forwards it (its policies pass a claim they cannot check)", async () => {
    // nsmgr-1 serves nse-b and has never met nse-a over TLS: only the endpoint's proof rule stops it.
    const ns = await clientTo(mesh.sb.nsmgrs[1]!.url);
    expect(await outcome(requestOn(ns, await forgedRequest("forged-nsmgr")))).toEqual({
      code: "PERMISSION_DENIED",
      details: expect.stringMatching(/rule origin_proven/),
    });
  });

  it("is refused when it carries the intruder's own x5c under the sibling's sub (tokens_signed)", async () => {
    const ns = await clientTo(mesh.sb.nsmgrs[1]!.url);
    expect(await outcome(requestOn(ns, await forgedRequest("forged-x5c", true)))).toEqual({
      code: "PERMISSION_DENIED",
      details: expect.stringMatching(
        /tokens_signed denied: path_segments\[0\] \(nse-a\): x5c certificate is for spiffe:\/\/sandbox.nsm\/ns\/default\/pod\/intruder/,
      ),
    });
  });
});
