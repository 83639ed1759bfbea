// Path tokens across an SVID rotation, over real SPIFFE mTLS: the client's connection made before the
// rotation still shows its old certificate, so its tokens must still be signed with the old key (the
// endpoint checks them against the certificate on that connection); a new connection shows the new
// certificate and gets tokens signed with the new key. Both are served.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/config.js";
import { MemoryDataplane } from "../../../src/dataplane/memory.js";
import { NetworkServiceClient } from "../../../src/grpc/gen/networkservice/networkservice.js";
import { Transport } from "../../../src/grpc/transport.js";
import { silentLogger } from "../../../src/log.js";
import { startNse, type Vl3Nse } from "../../../src/nse.js";
import { sameTrustDomain } from "../../../src/security/authorizer.js";
import { createCertificateAuthority, issueIdentity } from "../../../src/security/ca.js";
import { SpiffeCredentials } from "../../../src/security/credentials.js";
import type { IdentitySource } from "../../../src/security/identity.js";
import { pathSecurity } from "../../../src/security/path-security.js";
import { decodeToken } from "../../../src/security/token.js";
import { closeOn, nscRequest, requestOn, SERVICE } from "../../support/endpoint.js";
import { ManualIdentitySource } from "../../support/security.js";

const CA = await createCertificateAuthority({ trustDomain: "k8s.nsm" });
const issue = (id: string) => issueIdentity(CA, id, 3_600_000);
const E_ID = "spiffe://k8s.nsm/ns/vl3/pod/nse-1";
const C_ID = "spiffe://k8s.nsm/ns/ns-a/pod/nsc-1";

const mtls = (source: IdentitySource) =>
  new Transport({ credentials: new SpiffeCredentials(source, sameTrustDomain) });

let nse: Vl3Nse;
const e = new ManualIdentitySource();
const c = new ManualIdentitySource();
beforeAll(async () => {
  e.set(await issue(E_ID));
  c.set(await issue(C_ID));
  const config = loadConfig({
    NSM_NAME: "nse-1",
    NSM_SERVICE_NAMES: SERVICE,
    NSM_LISTEN_ON: "tcp://127.0.0.1:0",
    NSM_DEBUG_LISTEN_ON: "",
    NSM_DNS_LISTEN_ON: "off",
  });
  nse = await startNse(config, {
    log: silentLogger(),
    dataplane: new MemoryDataplane(),
    transport: mtls(e),
    identity: e,
  });
});
afterAll(() => nse?.stop());

describe("path tokens across an SVID rotation", () => {
  it("signs each connection's tokens with the key of the certificate it shows", async () => {
    const tokens = pathSecurity({ identity: c, maxTokenLifetimeMs: 600_000 })!;
    const transport = mtls(c).withPathTokens(tokens.generate);
    const before = transport.client(NetworkServiceClient, nse.url);
    const conn = await requestOn(before, nscRequest({ name: "nsc-1" }));
    const firstLeaf = c.current()!.leaf;
    // Both sides rotate; the open connection keeps the certificates it was made with.
    c.set(await issue(C_ID));
    e.set(await issue(E_ID));
    expect(c.current()!.leaf.fingerprint256).not.toBe(firstLeaf.fingerprint256);
    const again = await requestOn(before, { connection: { ...conn, path: { ...conn.path!, index: 0 } } });
    expect(decodeToken(again.path!.pathSegments[0]!.token)!.sub).toBe(C_ID);
    // A new connection (its own subchannel) handshakes with the new certificates.
    const after = transport.client(NetworkServiceClient, nse.url, {
      channelOptions: { "grpc.use_local_subchannel_pool": 1 },
    });
    const fresh = await requestOn(after, nscRequest({ name: "nsc-2" }));
    expect(fresh.path!.pathSegments).toHaveLength(2);
    await closeOn(before, again);
    await closeOn(after, fresh);
    before.getChannel().close();
    after.getChannel().close();
    tokens.dispose();
  });
});
