// Per-RPC path tokens on every outgoing call, as NSM's token.NewPerRPCCredentials: each call carries
// nsm-client-token (a fresh token from the injected generator) and nsm-client-token-expires. Its `aud`
// is the server on the other end: each connection remembers the leaf its server presented in the TLS
// handshake (already checked by the mTLS credentials underneath), so every subchannel names its own,
// and is signed with the key of the certificate we showed on that connection (a rotation leaves older
// connections with the older one).
import { X509Certificate } from "node:crypto";
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import * as grpc from "@grpc/grpc-js";
import type { TokenGenerator, TokenPeer } from "../security/token.js";
import { setTokenHeaders } from "../security/token-headers.js";
import { spiffeIdOf } from "../security/x509.js";

/** The server a TLS socket reached, as a token names it; undefined on plain text. */
export function serverPeerOf(socket: Socket): TokenPeer | undefined {
  const raw = (socket as TLSSocket).getPeerCertificate?.()?.raw;
  if (!raw) return undefined;
  try {
    const leaf = new X509Certificate(raw);
    return { spiffeId: spiffeIdOf(leaf), notAfter: new Date(leaf.validTo) };
  } catch {
    return undefined;
  }
}

export class PathTokenCredentials extends grpc.ChannelCredentials {
  constructor(
    private readonly inner: grpc.ChannelCredentials,
    private readonly generate: TokenGenerator,
  ) {
    super();
  }

  override compose(callCredentials: grpc.CallCredentials): grpc.ChannelCredentials {
    return new PathTokenCredentials(this.inner.compose(callCredentials), this.generate);
  }

  _isSecure(): boolean {
    return this.inner._isSecure();
  }

  _equals(other: grpc.ChannelCredentials): boolean {
    return other === this;
  }

  _createSecureConnector(...args: Parameters<grpc.ChannelCredentials["_createSecureConnector"]>) {
    const [target, options, callCredentials] = args;
    let server: TokenPeer | undefined;
    /** Our certificate on this connection: after a rotation an older connection still shows the older one. */
    let presented: string | undefined;
    const tokens = grpc.credentials.createFromMetadataGenerator((_params, callback) => {
      this.generate(server, presented).then(
        (signed) => {
          const metadata = new grpc.Metadata();
          setTokenHeaders(metadata, signed);
          callback(null, metadata);
        },
        (err: Error) => callback(err),
      );
    });
    const inner = this.inner._createSecureConnector(
      target,
      options,
      callCredentials ? callCredentials.compose(tokens) : tokens,
    );
    return {
      connect: async (socket: Socket) => {
        const result = await inner.connect(socket);
        server = serverPeerOf(result.socket);
        presented =
          ((result.socket as TLSSocket).getCertificate?.() as { fingerprint256?: string } | null)
            ?.fingerprint256 || undefined;
        return result;
      },
      waitForReady: () => inner.waitForReady(),
      getCallCredentials: () => inner.getCallCredentials(),
      destroy: () => inner.destroy(),
    };
  }
}
