// X.509-SVID handling with node:crypto only: splitting the Workload API's concatenated DER, reading
// a certificate's one SPIFFE ID (URI SAN), and turning an SVID, its PKCS#8 key and the bundles into
// an Identity. Parsing is OpenSSL's (X509Certificate); nothing here decodes ASN.1 by hand.
import { createPrivateKey, X509Certificate } from "node:crypto";
import type { Identity } from "./identity.js";
import { parseSpiffeId } from "./spiffe-id.js";

export class SvidError extends Error {
  override name = "SvidError";
}

/** Splits back-to-back DER certificates (no separator, no PEM): OpenSSL reads one, `.raw` says how long. */
export function splitDer(der: Uint8Array, what = "certificates"): X509Certificate[] {
  const out: X509Certificate[] = [];
  let rest = Buffer.from(der.buffer, der.byteOffset, der.byteLength);
  while (rest.length > 0) {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(rest);
    } catch (e) {
      throw new SvidError(
        `${what}: certificate ${out.length + 1} is not DER X.509 (${(e as Error).message})`,
      );
    }
    out.push(cert);
    rest = rest.subarray(cert.raw.length);
  }
  return out;
}

/** PEM of several certificates, in order. */
export const toPem = (certs: readonly X509Certificate[]): string => certs.map((c) => c.toString()).join("");

/**
 * The single SPIFFE ID of a certificate, from the subjectaltname text OpenSSL prints ("URI:spiffe://…,
 * DNS:…"). Node quotes any entry holding a comma or quote, and a SPIFFE ID can hold neither, so an
 * unquoted URI entry is a real one. Zero or several URI SANs is an error, as the X509-SVID standard says.
 */
export function spiffeIdFromSan(subjectAltName: string | undefined): string {
  const uris = (subjectAltName ?? "")
    .split(", ")
    .filter((e) => e.startsWith("URI:") || e.startsWith('"URI:'))
    .map((e) => e.slice(4));
  if (uris.length === 0) throw new SvidError("certificate contains no URI SAN");
  if (uris.length > 1) throw new SvidError(`certificate contains ${uris.length} URI SANs; an SVID has one`);
  return parseSpiffeId(uris[0]!, "URI SAN").uri;
}

export const spiffeIdOf = (cert: X509Certificate): string => spiffeIdFromSan(cert.subjectAltName);

export interface SvidParts {
  /** The ID the issuer says this SVID is for; must equal the leaf's URI SAN. */
  spiffeId: string;
  /** Concatenated DER, leaf first. */
  certChain: Uint8Array;
  /** DER PKCS#8, unencrypted. */
  privateKey: Uint8Array;
  /** Trust domain → concatenated DER CA certificates. */
  bundles: ReadonlyMap<string, Uint8Array>;
}

/** Builds an Identity from Workload API fields, checking that leaf, ID and key agree. */
export function identityFromSvid(parts: SvidParts): Identity {
  const id = parseSpiffeId(parts.spiffeId, "spiffe_id");
  if (id.path === "") throw new SvidError(`spiffe_id ${id.uri}: an SVID's ID must have a path`);
  const chain = splitDer(parts.certChain, "x509_svid");
  const leaf = chain[0];
  if (!leaf) throw new SvidError("x509_svid: no certificate");
  const inCert = spiffeIdOf(leaf);
  if (inCert !== id.uri) throw new SvidError(`x509_svid: leaf is for ${inCert}, not ${id.uri}`);
  if (leaf.ca) throw new SvidError("x509_svid: the leaf is a CA certificate");
  let privateKey: ReturnType<typeof createPrivateKey>;
  try {
    privateKey = createPrivateKey({ key: Buffer.from(parts.privateKey), format: "der", type: "pkcs8" });
  } catch (e) {
    throw new SvidError(`x509_svid_key: not a DER PKCS#8 key (${(e as Error).message})`);
  }
  if (!leaf.checkPrivateKey(privateKey)) throw new SvidError("x509_svid_key: does not match the leaf");
  const bundles = new Map<string, X509Certificate[]>();
  for (const [td, der] of parts.bundles) {
    const cas = splitDer(der, `bundle of ${td}`);
    if (cas.length === 0) throw new SvidError(`bundle of ${td} is empty`);
    bundles.set(td, cas);
  }
  if (!bundles.has(id.trustDomain))
    throw new SvidError(`no bundle for the SVID's trust domain ${id.trustDomain}`);
  return {
    spiffeId: id.uri,
    trustDomain: id.trustDomain,
    certChain: chain.map((c) => c.raw),
    certChainPem: toPem(chain),
    leaf,
    notAfter: leaf.validToDate,
    privateKey,
    privateKeyPem: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
    bundles,
  };
}
