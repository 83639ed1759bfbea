// A local certificate authority for one trust domain: mints X.509-SVIDs shaped as the X509-SVID
// standard asks (one URI SAN, not a CA, digitalSignature, serverAuth+clientAuth). It backs the
// development Workload API server and the sandbox, never production. Certificates are built by
// @peculiar/x509 over node's WebCrypto; keys are EC P-256, as SPIRE's agent issues and ES256 needs.
import "reflect-metadata";
import { randomBytes, webcrypto, X509Certificate } from "node:crypto";
import * as x509 from "@peculiar/x509";
import type { Identity } from "./identity.js";
import { parseSpiffeId, parseTrustDomain, trustDomainId } from "./spiffe-id.js";
import { identityFromSvid } from "./x509.js";

x509.cryptoProvider.set(webcrypto);

const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
/** Certificates start a little in the past, so a peer whose clock is slightly behind accepts them. */
const BACKDATE_MS = 60_000;

export interface IssuedSvid {
  spiffeId: string;
  /** DER, leaf first (no intermediates: the CA signs leaves itself). */
  certChain: Buffer[];
  /** DER PKCS#8. */
  privateKey: Buffer;
  notAfter: Date;
}

export interface CertificateAuthority {
  readonly trustDomain: string;
  /** The CA certificate(s) of this trust domain: what peers trust. */
  readonly bundle: X509Certificate[];
  issue(spiffeId: string, ttlMs: number): Promise<IssuedSvid>;
}

export interface CaOptions {
  trustDomain: string;
  /** Lifetime of the CA certificate itself (default one day). */
  validityMs?: number;
  now?: () => number;
}

const serial = (): string => {
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f; // a positive INTEGER
  return b.toString("hex");
};

/** Creates a CA with a fresh key and a self-signed certificate whose URI SAN is spiffe://<trust domain>. */
export async function createCertificateAuthority(o: CaOptions): Promise<CertificateAuthority> {
  const trustDomain = parseTrustDomain(o.trustDomain, "trust domain");
  const now = o.now ?? Date.now;
  const caKeys = (await webcrypto.subtle.generateKey(ALG, false, [
    "sign",
    "verify",
  ])) as webcrypto.CryptoKeyPair;
  const name = `O=vl3-nse development CA, CN=${trustDomain}`;
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name,
    notBefore: new Date(now() - BACKDATE_MS),
    notAfter: new Date(now() + (o.validityMs ?? 86_400_000)),
    keys: caKeys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      new x509.SubjectAlternativeNameExtension([{ type: "url", value: trustDomainId(trustDomain) }]),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const bundle = [new X509Certificate(Buffer.from(caCert.rawData))];

  return {
    trustDomain,
    bundle,
    async issue(spiffeId, ttlMs) {
      const id = parseSpiffeId(spiffeId, "SPIFFE ID");
      if (id.trustDomain !== trustDomain) {
        throw new Error(`SPIFFE ID ${id.uri} is not in this CA's trust domain ${trustDomain}`);
      }
      if (id.path === "") throw new Error(`SPIFFE ID ${id.uri} has no path; an SVID needs one`);
      const keys = (await webcrypto.subtle.generateKey(ALG, true, [
        "sign",
        "verify",
      ])) as webcrypto.CryptoKeyPair;
      const notAfter = new Date(now() + ttlMs);
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: serial(),
        subject: "O=vl3-nse development Workload API",
        issuer: caCert.subject,
        notBefore: new Date(now() - BACKDATE_MS),
        notAfter,
        publicKey: keys.publicKey,
        signingKey: caKeys.privateKey,
        signingAlgorithm: ALG,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(
            x509.KeyUsageFlags.digitalSignature |
              x509.KeyUsageFlags.keyEncipherment |
              x509.KeyUsageFlags.keyAgreement,
            true,
          ),
          new x509.ExtendedKeyUsageExtension([
            x509.ExtendedKeyUsage.serverAuth,
            x509.ExtendedKeyUsage.clientAuth,
          ]),
          new x509.SubjectAlternativeNameExtension([{ type: "url", value: id.uri }]),
          await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
          await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
        ],
      });
      const pkcs8 = await webcrypto.subtle.exportKey("pkcs8", keys.privateKey);
      return {
        spiffeId: id.uri,
        certChain: [Buffer.from(cert.rawData)],
        privateKey: Buffer.from(pkcs8),
        notAfter,
      };
    },
  };
}

/** An SVID from `ca` as a ready Identity, with `ca`'s bundle (and any `federated` ones). */
export async function issueIdentity(
  ca: CertificateAuthority,
  spiffeId: string,
  ttlMs: number,
  federated: readonly CertificateAuthority[] = [],
): Promise<Identity> {
  const svid = await ca.issue(spiffeId, ttlMs);
  const bundles = new Map<string, Uint8Array>();
  for (const c of [ca, ...federated]) bundles.set(c.trustDomain, Buffer.concat(c.bundle.map((b) => b.raw)));
  return identityFromSvid({
    spiffeId: svid.spiffeId,
    certChain: Buffer.concat(svid.certChain),
    privateKey: svid.privateKey,
    bundles,
  });
}
