// SPIFFE mTLS for src/grpc/transport.ts: channel and server credentials built on grpc-js certificate
// providers fed by an IdentitySource, so a rotated SVID reaches every live server (setSecureContext)
// and every new handshake of every channel, and no connection is dropped. Peers are checked by their
// SPIFFE ID (verify.ts), never by host name: clients in checkServerIdentity, servers per call.
import type { DetailedPeerCertificate, PeerCertificate } from "node:tls";
import * as grpc from "@grpc/grpc-js";
import type { CredentialsProvider } from "../grpc/transport.js";
import type { Authorizer } from "./authorizer.js";
import type { Identity, IdentitySource } from "./identity.js";
import { verifyClientLeaf, verifyServerChain } from "./verify.js";

type CaListener = grpc.experimental.CaCertificateUpdateListener;
type IdListener = grpc.experimental.IdentityCertificateUpdateListener;

/** The identity's trust bundles and SVID in the shape of grpc-js's CertificateProvider. */
export class IdentityCertificates implements grpc.experimental.CertificateProvider {
  private readonly ca = new Set<CaListener>();
  private readonly id = new Set<IdListener>();
  private latest: Identity | undefined;

  constructor(source: IdentitySource) {
    const take = (identity: Identity) => {
      if (identity === this.latest) return;
      this.latest = identity;
      for (const l of this.ca) l(caUpdate(identity));
      for (const l of this.id) l(idUpdate(identity));
    };
    const now = source.current();
    if (now) take(now);
    else source.ready().then(take, () => {});
    source.onRotate(take);
  }

  // A new listener hears the latest value on the next tick, never during add: grpc-js registers a
  // server's watcher only after adding its provider listener, and would miss a synchronous update.
  addCaCertificateListener(l: CaListener): void {
    this.ca.add(l);
    process.nextTick(() => this.latest && this.ca.has(l) && l(caUpdate(this.latest)));
  }
  removeCaCertificateListener(l: CaListener): void {
    this.ca.delete(l);
  }
  addIdentityCertificateListener(l: IdListener): void {
    this.id.add(l);
    process.nextTick(() => this.latest && this.id.has(l) && l(idUpdate(this.latest)));
  }
  removeIdentityCertificateListener(l: IdListener): void {
    this.id.delete(l);
  }
}

const caUpdate = (identity: Identity) => ({
  caCertificate: Buffer.from(
    [...identity.bundles.values()]
      .flat()
      .map((c) => c.toString())
      .join(""),
  ),
});
const idUpdate = (identity: Identity) => ({
  certificate: Buffer.from(identity.certChainPem),
  privateKey: Buffer.from(identity.privateKeyPem),
});

export class SpiffeCredentials implements CredentialsProvider {
  readonly name = "spiffe";
  /**
   * SPIFFE peers are checked by URI SAN, never by host name, so the TLS server name (SNI) is a fixed
   * word: an IP address there is against RFC 6066 and makes Node warn.
   */
  readonly channelOptions = { "grpc.ssl_target_name_override": "spiffe" };
  private readonly channelCredentials: grpc.ChannelCredentials;
  private readonly serverCredentials: grpc.ServerCredentials;
  /** Server-side verdicts by leaf fingerprint: a certificate is checked once per identity. */
  private readonly verdicts = new Map<string, string | undefined>();

  constructor(
    private readonly source: IdentitySource,
    private readonly authorize: Authorizer,
  ) {
    const certificates = new IdentityCertificates(source);
    source.onRotate(() => this.verdicts.clear());
    // One credentials object each, shared by every channel and server: grpc-js then shares
    // subchannels, and a server's listeners all follow one provider.
    this.channelCredentials = grpc.experimental.createCertificateProviderChannelCredentials(
      certificates,
      certificates,
      { checkServerIdentity: (_host, cert) => this.checkServer(cert as DetailedPeerCertificate) },
    );
    this.serverCredentials = grpc.experimental.createServerCredentialsWithInterceptors(
      grpc.experimental.createCertificateProviderServerCredentials(certificates, certificates, true),
      [this.interceptor],
    );
  }

  channel(): grpc.ChannelCredentials {
    return this.channelCredentials;
  }

  server(): grpc.ServerCredentials {
    return this.serverCredentials;
  }

  private checkServer(cert: DetailedPeerCertificate): Error | undefined {
    const identity = this.source.current();
    if (!identity) return new Error("no SPIFFE identity yet");
    const v = verifyServerChain(cert, identity, this.authorize);
    return v.ok ? undefined : new Error(`server refused: ${v.reason}`);
  }

  /** Why the caller of a call is refused, or undefined: its leaf checked against bundles and authorizer. */
  refusal(auth: { sslPeerCertificate?: PeerCertificate }): string | undefined {
    const cert = auth.sslPeerCertificate;
    if (!cert) return "the caller presented no verified certificate";
    const key = cert.fingerprint256;
    if (this.verdicts.has(key)) return this.verdicts.get(key);
    const identity = this.source.current();
    if (!identity) return "no SPIFFE identity yet";
    const v = verifyClientLeaf(cert, identity, this.authorize);
    const out = v.ok ? undefined : v.reason;
    if (this.verdicts.size > 4096) this.verdicts.clear();
    this.verdicts.set(key, out);
    return out;
  }

  private readonly interceptor: grpc.ServerInterceptor = (_method, call) => {
    const listener = new grpc.ServerListenerBuilder()
      .withOnReceiveMetadata((metadata, next) => {
        const why = this.refusal(call.getAuthContext());
        if (why)
          call.sendStatus({ code: grpc.status.UNAUTHENTICATED, details: why, metadata: new grpc.Metadata() });
        else next(metadata);
      })
      .build();
    const responder = new grpc.ResponderBuilder().withStart((next) => next(listener)).build();
    return new grpc.ServerInterceptingCall(call, responder);
  };
}
