// The sandbox registry with path tokens on, over SPIFFE mTLS: our registration carries the registry's
// path and our token and gets back path_ids [us, registry] (reference §7.3, without the nsmgr hop);
// another identity can neither register the same name nor unregister it (client_allowed).
import type * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NetworkServiceEndpoint } from "../../../src/grpc/gen/registry/registry.js";
import { Transport } from "../../../src/grpc/transport.js";
import { silentLogger } from "../../../src/log.js";
import { endpointRegistryClient } from "../../../src/registry/clients.js";
import { callWithPath } from "../../../src/registry/path-call.js";
import { type RegistrationHandle, registerEndpoint } from "../../../src/registry/register.js";
import { type SandboxRegistry, startRegistry } from "../../../src/sandbox/registry-server.js";
import { sameTrustDomain } from "../../../src/security/authorizer.js";
import { createCertificateAuthority, issueIdentity } from "../../../src/security/ca.js";
import { SpiffeCredentials } from "../../../src/security/credentials.js";
import { fixedIdentitySource, type Identity } from "../../../src/security/identity.js";
import { pathSecurity } from "../../../src/security/path-security.js";
import { EMPTY_REGISTRY_PATH } from "../../../src/security/registry-path.js";
import { codeOf } from "../../support/endpoint.js";
import { eventually } from "../mesh/helpers.js";

const CA = await createCertificateAuthority({ trustDomain: "k8s.nsm" });
const [R, E, F] = (await Promise.all(
  [
    "spiffe://k8s.nsm/ns/nsm-system/pod/registry-1",
    "spiffe://k8s.nsm/ns/vl3/pod/nse-1",
    "spiffe://k8s.nsm/ns/ns-b/pod/intruder",
  ].map((id) => issueIdentity(CA, id, 3_600_000)),
)) as [Identity, Identity, Identity];

const mtls = (identity: Identity) =>
  new Transport({ credentials: new SpiffeCredentials(fixedIdentitySource(identity), sameTrustDomain) });
const securityOf = (identity: Identity) =>
  pathSecurity({ identity: fixedIdentitySource(identity), maxTokenLifetimeMs: 600_000 })!;

let registry: SandboxRegistry;
let registration: RegistrationHandle;
beforeAll(async () => {
  registry = await startRegistry({ transport: mtls(R), pathTokens: securityOf(R) });
  const e = securityOf(E);
  registration = registerEndpoint({
    target: registry.url,
    transport: mtls(E).withPathTokens(e.generate),
    nse: { name: "nse-1", serviceNames: ["vl3"], labels: {}, url: "tcp://127.0.0.1:1" },
    expiryMs: 60_000,
    log: silentLogger(),
    authorize: { verifier: e.verifier, keys: e.keys },
  });
  await eventually(() => expect(registration.registered).toBe(true), 10_000);
});
afterAll(async () => {
  await registration?.stop({ unregister: true });
  await registry?.stop();
});

/** The intruder's own Register or Unregister of a name, with a valid token of its own. */
async function intruder(op: "register" | "unregister", name: string) {
  const f = securityOf(F);
  const client = endpointRegistryClient(
    registry.url,
    { initialMs: 50, maxMs: 500 },
    mtls(F).withPathTokens(f.generate),
  );
  const entry = NetworkServiceEndpoint.fromPartial({
    name,
    networkServiceNames: ["vl3"],
    url: "tcp://127.0.0.1:2",
  });
  try {
    await callWithPath(client as unknown as grpc.Client, client[op] as never, entry, {
      timeoutMs: 5000,
      path: EMPTY_REGISTRY_PATH,
    });
    return { code: "OK", details: "" };
  } catch (e) {
    return { code: codeOf(e), details: (e as grpc.ServiceError).details };
  } finally {
    client.close();
  }
}

describe("the sandbox registry with path tokens on", () => {
  it("stores our entry with path_ids [us, registry]", () => {
    const entry = registry.entries().find((n) => n.name === "nse-1")!;
    expect(entry.pathIds).toEqual([E.spiffeId, R.spiffeId]);
  });

  it("refuses another identity registering or unregistering our name (client_allowed), and keeps our entry", async () => {
    for (const op of ["register", "unregister"] as const) {
      expect(await intruder(op, "nse-1")).toMatchObject({
        code: "PERMISSION_DENIED",
        details: expect.stringMatching(/client_allowed denied: "nse-1" is registered by another identity/),
      });
    }
    expect(registry.entries().map((n) => n.name)).toContain("nse-1");
    expect(registry.entries().find((n) => n.name === "nse-1")!.url).toBe("tcp://127.0.0.1:1");
  });

  it("lets any identity register a new name", async () => {
    expect(await intruder("register", "nse-other")).toEqual({ code: "OK", details: "" });
    const entry = registry.entries().find((n) => n.name === "nse-other")!;
    expect(entry.pathIds).toEqual([F.spiffeId, R.spiffeId]);
  });
});
