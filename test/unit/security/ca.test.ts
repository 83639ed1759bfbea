// The development CA (behind the development Workload API server and the sandbox): the X509-SVIDs
// it mints have the shape the X509-SVID standard asks for, and the Workload API fields turn into an
// Identity (or a clear SvidError). Pure crypto, no sockets.
import { X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createCertificateAuthority, issueIdentity } from "../../../src/security/ca.js";
import { identityFromSvid, SvidError, spiffeIdFromSan, splitDer } from "../../../src/security/x509.js";

const ID = "spiffe://example.org/ns/nsm-system/pod/vl3-nse-1";

describe("the development CA mints X509-SVIDs as the standard shapes them", async () => {
  const ca = await createCertificateAuthority({ trustDomain: "example.org" });
  const svid = await ca.issue(ID, 60_000);
  const leaf = new X509Certificate(svid.certChain[0]!);

  it("the CA certificate is a CA whose ID is the trust domain's", () => {
    expect(ca.bundle).toHaveLength(1);
    expect(ca.bundle[0]!.ca).toBe(true);
    expect(ca.bundle[0]!.subjectAltName).toBe("URI:spiffe://example.org");
  });

  it("the leaf has one URI SAN, is no CA, is signed by the CA and lives as long as asked", () => {
    expect(leaf.subjectAltName).toBe(`URI:${ID}`);
    expect(leaf.ca).toBe(false);
    expect(leaf.checkIssued(ca.bundle[0]!)).toBe(true);
    expect(leaf.verify(ca.bundle[0]!.publicKey)).toBe(true);
    expect(leaf.keyUsage).toEqual(expect.arrayContaining(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]));
    expect(Math.abs(leaf.validToDate.getTime() - svid.notAfter.getTime())).toBeLessThan(1000);
    expect(leaf.publicKey.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
  });

  it("refuses IDs of another trust domain or without a path", async () => {
    await expect(ca.issue("spiffe://other.org/a", 1000)).rejects.toThrow("not in this CA's trust domain");
    await expect(ca.issue("spiffe://example.org", 1000)).rejects.toThrow("has no path");
  });

  it("identityFromSvid turns Workload API fields into an Identity", () => {
    const identity = identityFromSvid({
      spiffeId: ID,
      certChain: Buffer.concat(svid.certChain),
      privateKey: svid.privateKey,
      bundles: new Map([["example.org", ca.bundle[0]!.raw]]),
    });
    expect(identity.spiffeId).toBe(ID);
    expect(identity.trustDomain).toBe("example.org");
    expect(identity.privateKey.asymmetricKeyType).toBe("ec");
    expect(identity.certChainPem).toContain("BEGIN CERTIFICATE");
    expect(identity.privateKeyPem).toContain("BEGIN PRIVATE KEY");
    expect(identity.bundles.get("example.org")![0]!.raw).toEqual(ca.bundle[0]!.raw);
  });

  it("identityFromSvid refuses an ID that is not the leaf's, a foreign key and a missing bundle", async () => {
    const other = await ca.issue("spiffe://example.org/other", 60_000);
    const base = {
      spiffeId: ID,
      certChain: Buffer.concat(svid.certChain),
      privateKey: svid.privateKey,
      bundles: new Map([["example.org", ca.bundle[0]!.raw]]),
    };
    expect(() => identityFromSvid({ ...base, spiffeId: "spiffe://example.org/other" })).toThrow(
      "leaf is for spiffe://example.org/ns/nsm-system/pod/vl3-nse-1",
    );
    expect(() => identityFromSvid({ ...base, privateKey: other.privateKey })).toThrow(
      "does not match the leaf",
    );
    expect(() => identityFromSvid({ ...base, privateKey: Buffer.from("nope") })).toThrow("x509_svid_key");
    expect(() => identityFromSvid({ ...base, bundles: new Map() })).toThrow(
      "no bundle for the SVID's trust domain",
    );
    expect(() => identityFromSvid({ ...base, certChain: Buffer.from([0x30, 0x03, 1, 2]) })).toThrow(
      SvidError,
    );
  });
});

describe("splitDer and spiffeIdFromSan", () => {
  it("splits back-to-back DER certificates", async () => {
    const ca = await createCertificateAuthority({ trustDomain: "a.org" });
    const s = await ca.issue("spiffe://a.org/x", 1000);
    const parts = splitDer(Buffer.concat([s.certChain[0]!, ca.bundle[0]!.raw]));
    expect(parts.map((c) => c.subjectAltName)).toEqual(["URI:spiffe://a.org/x", "URI:spiffe://a.org"]);
    expect(splitDer(Buffer.alloc(0))).toEqual([]);
  });

  it.each([
    ["URI:spiffe://a.org/x", "spiffe://a.org/x"],
    ["DNS:host, URI:spiffe://a.org/x, IP Address:127.0.0.1", "spiffe://a.org/x"],
  ])("%s names %s", (san, id) => {
    expect(spiffeIdFromSan(san)).toBe(id);
  });

  it.each([
    [undefined, "no URI SAN"],
    ["DNS:host", "no URI SAN"],
    ["URI:spiffe://a.org/x, URI:spiffe://a.org/y", "2 URI SANs"],
    ["URI:https://a.org/x", "not a SPIFFE ID"],
  ])("%s is refused (%s)", (san, why) => {
    expect(() => spiffeIdFromSan(san)).toThrow(why);
  });
});

describe("issueIdentity", () => {
  it("gives an Identity with the CA's bundle and federated ones", async () => {
    const a = await createCertificateAuthority({ trustDomain: "a.org" });
    const b = await createCertificateAuthority({ trustDomain: "b.org" });
    const identity = await issueIdentity(a, "spiffe://a.org/w", 60_000, [b]);
    expect(identity.spiffeId).toBe("spiffe://a.org/w");
    expect([...identity.bundles.keys()]).toEqual(["a.org", "b.org"]);
  });
});
