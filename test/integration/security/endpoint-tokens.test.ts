// An independent client with its own SVID against a vl3-nse with path tokens on (startNse, SPIFFE
// mTLS, real sockets): without a token, or with a token its certificate's key did not sign, it is
// refused PERMISSION_DENIED naming the rule; with a valid token it is served, and our segment holds a
// token signed by our certificate (sub = ours, aud = the caller's). Another identity can neither take
// the connection over nor close it, and a monitor shows each caller only its own connections.
import type * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/config.js";
import { MemoryDataplane } from "../../../src/dataplane/memory.js";
import {
  ConnectionEventType,
  MonitorConnectionClient,
} from "../../../src/grpc/gen/networkservice/connection.js";
import { NetworkServiceClient } from "../../../src/grpc/gen/networkservice/networkservice.js";
import { Transport } from "../../../src/grpc/transport.js";
import { silentLogger } from "../../../src/log.js";
import { startNse, type Vl3Nse } from "../../../src/nse.js";
import { sameTrustDomain } from "../../../src/security/authorizer.js";
import { createCertificateAuthority, issueIdentity } from "../../../src/security/ca.js";
import { SpiffeCredentials } from "../../../src/security/credentials.js";
import { fixedIdentitySource, type Identity } from "../../../src/security/identity.js";
import {
  decodeToken,
  signerKeyOf,
  spiffeTokenGenerator,
  type TokenGenerator,
  verifySignature,
} from "../../../src/security/token.js";
import {
  byEndpoint,
  closeOn,
  codeOf,
  nscRequest,
  refreshOf,
  requestOn,
  SERVICE,
  watch,
} from "../../support/endpoint.js";

const CA = await createCertificateAuthority({ trustDomain: "k8s.nsm" });
const [E, C1, C2] = (await Promise.all(
  [
    "spiffe://k8s.nsm/ns/vl3/pod/nse-1",
    "spiffe://k8s.nsm/ns/ns-a/pod/nsc-1",
    "spiffe://k8s.nsm/ns/ns-b/pod/nsc-2",
  ].map((id) => issueIdentity(CA, id, 3_600_000)),
)) as [Identity, Identity, Identity];

const mtls = (identity: Identity) =>
  new Transport({ credentials: new SpiffeCredentials(fixedIdentitySource(identity), sameTrustDomain) });
const tokensOf = (identity: Identity): TokenGenerator =>
  spiffeTokenGenerator({ signer: () => identity, maxLifetimeMs: 600_000 });

let nse: Vl3Nse;
const closers: (() => void)[] = [];
beforeAll(async () => {
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
    transport: mtls(E),
    identity: fixedIdentitySource(E),
  });
});
afterAll(async () => {
  for (const c of closers) c();
  await nse?.stop();
});

/** A client of the NSE over mTLS as `identity`, sending tokens made by `tokens` (none: no header). */
function client(identity: Identity, tokens?: TokenGenerator) {
  const t = tokens ? mtls(identity).withPathTokens(tokens) : mtls(identity);
  const ns = t.client(NetworkServiceClient, nse.url);
  const monitor = t.client(MonitorConnectionClient, nse.url);
  closers.push(
    () => ns.getChannel().close(),
    () => monitor.close(),
  );
  return { ns, monitor };
}

const failure = (work: Promise<unknown>) =>
  work.then(
    () => ({ code: "OK", details: "" }),
    (e: grpc.ServiceError) => ({ code: codeOf(e), details: e.details }),
  );

describe("an independent client with its own SVID (path tokens on)", () => {
  it("is refused without a token (tokens_valid)", async () => {
    const { ns } = client(C1);
    expect(await failure(requestOn(ns, nscRequest({ name: "nsc-1" })))).toMatchObject({
      code: "PERMISSION_DENIED",
      details: expect.stringMatching(/policy tokens_valid denied: path_segments\[0\] \(nsc-1\)/),
    });
  });

  it("is refused with a token its certificate's key did not sign (prev_token_signed)", async () => {
    const forged: TokenGenerator = (peer) =>
      spiffeTokenGenerator({ signer: () => ({ ...C2, spiffeId: C1.spiffeId }), maxLifetimeMs: 600_000 })(
        peer,
      );
    const { ns } = client(C1, forged);
    expect(await failure(requestOn(ns, nscRequest({ name: "nsc-1" })))).toMatchObject({
      code: "PERMISSION_DENIED",
      details: expect.stringMatching(
        /policy prev_token_signed denied: path_segments\[0\] \(nsc-1\): token is not signed by the TLS peer spiffe:\/\/k8s.nsm\/ns\/ns-a\/pod\/nsc-1/,
      ),
    });
  });

  it("is served with a valid token; our segment is signed by our certificate for the caller", async () => {
    const { ns } = client(C1, tokensOf(C1));
    const conn = await requestOn(ns, nscRequest({ name: "nsc-ok" }));
    const [theirs, ours] = conn.path!.pathSegments;
    expect(decodeToken(theirs!.token)).toMatchObject({ sub: C1.spiffeId, aud: [E.spiffeId] });
    expect(decodeToken(ours!.token)).toMatchObject({ sub: E.spiffeId, aud: [C1.spiffeId] });
    expect(await verifySignature(ours!.token, signerKeyOf(E.leaf))).toBe(true);
    expect(ours!.expires!.getTime()).toBeGreaterThan(Date.now() + 590_000);
    await closeOn(ns, conn);
  });

  it("keeps a connection its creator's: another identity can neither take it over nor close it", async () => {
    const owner = client(C1, tokensOf(C1));
    const other = client(C2, tokensOf(C2));
    const conn = await requestOn(owner.ns, nscRequest({ name: "nsc-own" }));
    // The same first segment (name and id) and our segment: only the identity differs.
    const takeOver = await failure(requestOn(other.ns, refreshOf(conn)));
    expect(takeOver).toMatchObject({
      code: "PERMISSION_DENIED",
      details: expect.stringMatching(/belongs to another client/),
    });
    expect(await failure(closeOn(other.ns, conn))).toMatchObject({ code: "PERMISSION_DENIED" });
    // Still the owner's: its refresh and Close pass.
    await requestOn(owner.ns, refreshOf(conn));
    await closeOn(owner.ns, conn);
  });

  it("shows a monitor only the connections its caller took part in", async () => {
    const a = client(C1, tokensOf(C1));
    const b = client(C2, tokensOf(C2));
    const conn = await requestOn(a.ns, nscRequest({ name: "nsc-mon" }));
    const seen = watch(a.monitor, byEndpoint("nse-1"));
    const unseen = watch(b.monitor, byEndpoint("nse-1"));
    closers.push(seen.cancel, unseen.cancel);
    const initial = await seen.next(
      (e) => e.type === ConnectionEventType.INITIAL_STATE_TRANSFER,
      "C1's initial state",
    );
    expect(Object.keys(initial.connections)).toContain(conn.id);
    const none = await unseen.next(
      (e) => e.type === ConnectionEventType.INITIAL_STATE_TRANSFER,
      "C2's initial state",
    );
    expect(none.connections).toEqual({});
    await closeOn(a.ns, conn);
    await seen.next((e) => e.type === ConnectionEventType.DELETE, "C1 sees the DELETE");
    expect(unseen.events.filter((e) => e.type !== ConnectionEventType.INITIAL_STATE_TRANSFER)).toEqual([]);
  });
});
