// The peer request mark is checked against the registry: a client (with an SVID of the sandbox's trust
// domain and valid path tokens, so past mTLS and the token policies) that claims to be a peer it is not
// gets PERMISSION_DENIED from the endpoint, through a real gRPC call on the endpoint's socket.
// Its SVID is of the endpoints' own namespace (allowed to peer), so the registry and dial rules are reached.
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Connection } from "../../../src/grpc/gen/networkservice/connection.js";
import { NetworkServiceClient } from "../../../src/grpc/gen/networkservice/networkservice.js";
import { parseCidr } from "../../../src/ipam/cidr.js";
import { PEER_REQUEST_LABEL } from "../../../src/registry/labels.js";
import { pathSecurity } from "../../../src/security/path-security.js";
import { type RequestShape, requestOn, targetOf } from "../../support/endpoint.js";
import { eventually, expectFullMesh, Mesh } from "./helpers.js";

describe("the peer request mark", () => {
  let mesh: Mesh;
  let client: NetworkServiceClient;

  beforeAll(async () => {
    mesh = await Mesh.start();
    await Promise.all(["nse-a", "nse-b", "nse-c"].map((n, i) => mesh.startEndpoint(n, i % 2)));
    await eventually(() => expectFullMesh(mesh), 15_000);
    const { transport, identity } = await mesh.sb.trustDomain!.security("intruder", "vl3");
    const tokens = pathSecurity({ identity, maxTokenLifetimeMs: 60_000 })!;
    client = transport
      .withPathTokens(tokens.generate)
      .client(NetworkServiceClient, targetOf(mesh.nse("nse-b").url));
  });

  afterAll(async () => {
    client?.getChannel().close();
    await mesh?.stop();
  });

  const request = (id: string, labels: Record<string, string>): RequestShape => ({
    connection: {
      id,
      networkService: mesh.sb.service,
      labels,
      path: { index: 0, pathSegments: [{ name: id, id, expires: new Date(Date.now() + 60_000) }] },
      context: {
        ipContext: { srcIpAddrs: ["172.16.200.1/32"], dstRoutes: [{ prefix: "172.16.200.0/24" }] },
      },
    },
    mechanismPreferences: [{ cls: "LOCAL", type: "KERNEL", parameters: {} }],
  });

  const status = (req: RequestShape) =>
    requestOn(client, req).then(
      () => "OK",
      (err: grpc.ServiceError) => grpc.status[err.code],
    );

  it("denies a name that is not a registered peer, and leaves no trace of it", async () => {
    const items = (await mesh.dataplanes.get("nse-b")!.dump()).length;
    const connections = mesh.nse("nse-b").endpoint.tree().children.length;
    // Its own name as the mark (else peer_origin refuses it before the registry is asked).
    const err = await requestOn(client, request("nse-zz", { [PEER_REQUEST_LABEL]: "nse-zz" })).catch(
      (e) => e,
    );
    expect(grpc.status[(err as grpc.ServiceError).code]).toBe("PERMISSION_DENIED");
    expect((err as grpc.ServiceError).details).toContain("not a registered vL3 peer");
    expect((await mesh.dataplanes.get("nse-b")!.dump()).length).toBe(items);
    expect(mesh.nse("nse-b").endpoint.tree().children).toHaveLength(connections);
    await expectFullMesh(mesh);
  });

  it("refuses a registered peer that the peer rule does not let dial (nse-b dials nse-c)", async () => {
    expect(await status(request("nse-c", { [PEER_REQUEST_LABEL]: "nse-c" }))).toBe("FAILED_PRECONDITION");
  });

  it("refuses a mark its sender's path does not match before the registry is asked (peer_origin)", async () => {
    const req = request("impostor", { [PEER_REQUEST_LABEL]: "nse-made-up" });
    const err = (await requestOn(client, req).catch((e) => e)) as grpc.ServiceError;
    expect(grpc.status[err.code]).toBe("PERMISSION_DENIED");
    expect(err.details).toContain("rule peer_origin");
  });

  it("serves the same client without the mark, as an NSC with an address of its own prefix", async () => {
    const conn: Connection = await requestOn(client, request("plain", {}));
    const address = conn.context!.ipContext!.srcIpAddrs.at(-1)!;
    expect(parseCidr(mesh.nse("nse-b").endpoint.prefix!).containsCidr(parseCidr(address))).toBe(true);
  });
});
