// Per-RPC path tokens through the transport seam, over real SPIFFE mTLS on loopback: every call
// carries nsm-client-token and nsm-client-token-expires, signed by the client's SVID key, with `aud`
// the SPIFFE ID of the server that the TLS handshake reached.
import * as grpc from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import {
  HealthClient,
  type HealthServer,
  HealthService,
  HealthCheckResponse_ServingStatus as Serving,
} from "../../../src/grpc/gen/grpc/health/v1/health.js";
import { Transport } from "../../../src/grpc/transport.js";
import { sameTrustDomain } from "../../../src/security/authorizer.js";
import { createCertificateAuthority, issueIdentity } from "../../../src/security/ca.js";
import { SpiffeCredentials } from "../../../src/security/credentials.js";
import { fixedIdentitySource, type Identity } from "../../../src/security/identity.js";
import {
  decodeToken,
  signerKeyOf,
  spiffeTokenGenerator,
  verifySignature,
} from "../../../src/security/token.js";
import { readTokenHeaders } from "../../../src/security/token-headers.js";

const CA = await createCertificateAuthority({ trustDomain: "a.test" });
const SERVER = await issueIdentity(CA, "spiffe://a.test/ns/nsm-system/pod/nsmgr-1", 3_600_000);
const CLIENT = await issueIdentity(CA, "spiffe://a.test/ns/vl3/pod/nse-1", 3_600_000);

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const transportOf = (identity: Identity) =>
  new Transport({ credentials: new SpiffeCredentials(fixedIdentitySource(identity), sameTrustDomain) });

async function serve() {
  const seen: grpc.Metadata[] = [];
  const impl: HealthServer = {
    check: (call, cb) => {
      seen.push(call.metadata);
      cb(null, { status: Serving.SERVING });
    },
    watch: (call) => call.end(),
  };
  const transport = transportOf(SERVER);
  const server = transport.server();
  server.addService(HealthService, impl);
  const url = await transport.bind(server, "tcp://127.0.0.1:0");
  cleanups.push(() => transport.shutdown(server, { force: true }));
  return { url, seen };
}

const check = (client: HealthClient) =>
  new Promise<void>((resolve, reject) =>
    client.check({ service: "" }, new grpc.Metadata(), { deadline: Date.now() + 5000 }, (err) =>
      err ? reject(err) : resolve(),
    ),
  );

describe("path tokens on every outgoing call", () => {
  it("signs a fresh token per call for the server the handshake reached", async () => {
    const { url, seen } = await serve();
    const generate = spiffeTokenGenerator({ signer: () => CLIENT, maxLifetimeMs: 600_000 });
    const client = transportOf(CLIENT).withPathTokens(generate).client(HealthClient, url);
    cleanups.push(() => client.close());
    await check(client);
    await check(client);
    expect(seen).toHaveLength(2);
    const headers = seen.map((m) => readTokenHeaders(m));
    for (const h of headers) {
      if (typeof h === "string") throw new Error(h);
      expect(decodeToken(h.token)).toMatchObject({ sub: CLIENT.spiffeId, aud: [SERVER.spiffeId] });
      expect(await verifySignature(h.token, signerKeyOf(CLIENT.leaf))).toBe(true);
      expect(h.expires.getTime()).toBeGreaterThan(Date.now() + 590_000);
    }
  });

  it("sends none without path tokens", async () => {
    const { url, seen } = await serve();
    const client = transportOf(CLIENT).client(HealthClient, url);
    cleanups.push(() => client.close());
    await check(client);
    expect(readTokenHeaders(seen[0]!)).toMatch(/wrong length 0/);
  });
});
