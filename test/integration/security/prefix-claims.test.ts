// Our prefix server under SPIFFE mTLS ties a prefix claim to who made it: a caller of another scope
// naming the same endpoint identity gets a prefix of its own, never that one; a successor in the same
// scope (the pod restarted under a new name) gets the prefix back.
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IPAMClient, type PrefixResponse, Type } from "../../../src/grpc/gen/ipam/ipam.js";
import { Transport } from "../../../src/grpc/transport.js";
import { type PrefixServer, startPrefixServer } from "../../../src/prefix/server.js";
import { PREFIX_IDENTITY_METADATA } from "../../../src/registry/labels.js";
import { sameTrustDomain } from "../../../src/security/authorizer.js";
import { createCertificateAuthority, issueIdentity } from "../../../src/security/ca.js";
import { SpiffeCredentials } from "../../../src/security/credentials.js";
import { fixedIdentitySource, type Identity } from "../../../src/security/identity.js";

const CA = await createCertificateAuthority({ trustDomain: "k8s.nsm" });
const issue = (id: string) => issueIdentity(CA, id, 3_600_000);
const mtls = (identity: Identity) =>
  new Transport({ credentials: new SpiffeCredentials(fixedIdentitySource(identity), sameTrustDomain) });

let server: PrefixServer;
beforeAll(async () => {
  server = await startPrefixServer({
    listenOn: "127.0.0.1:0",
    pool: "172.16.0.0/16",
    prefixLen: 24,
    transport: mtls(await issue("spiffe://k8s.nsm/ns/nsm-system/pod/vl3-ipam-1")),
  });
});
afterAll(() => server?.stop());

/** Claims a prefix as `identity` (the node name a DaemonSet sends) over mTLS as `who`; ends the stream. */
async function claim(who: Identity, identity: string): Promise<string> {
  const client = mtls(who).client(IPAMClient, server.url);
  const md = new grpc.Metadata();
  md.set(PREFIX_IDENTITY_METADATA, identity);
  const stream = client.managePrefixes(md) as grpc.ClientDuplexStream<unknown, PrefixResponse>;
  try {
    const first = new Promise<string>((resolve, reject) => {
      stream.once("data", (r: PrefixResponse) => resolve(r.prefix));
      stream.once("error", reject);
    });
    stream.write({ type: Type.ALLOCATE, prefix: "", excludePrefixes: [] });
    return await first;
  } finally {
    stream.end();
    stream.cancel();
    client.close();
  }
}

describe("prefix claims under mTLS", () => {
  it("keeps a claim for its scope: another scope naming the identity gets its own prefix", async () => {
    const nse = await issue("spiffe://k8s.nsm/ns/vl3/pod/nse-abc12");
    const mine = await claim(nse, "node-1");
    const intruder = await issue("spiffe://k8s.nsm/ns/ns-b/pod/evil");
    const theirs = await claim(intruder, "node-1");
    expect(theirs).not.toBe(mine);
    // The DaemonSet pod comes back under a new name on the same node: same scope, same prefix.
    const successor = await issue("spiffe://k8s.nsm/ns/vl3/pod/nse-xyz89");
    expect(await claim(successor, "node-1")).toBe(mine);
    expect(server.allocations().map((a) => a.identity)).toEqual(
      expect.arrayContaining(["spiffe://k8s.nsm/ns/vl3/pod#node-1", "spiffe://k8s.nsm/ns/ns-b/pod#node-1"]),
    );
  });
});
