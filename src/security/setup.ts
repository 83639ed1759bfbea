// Secure by default: the transport and identity a process (vl3-nse run, prefix-server) gets from its
// settings. SPIFFE_ENDPOINT_SOCKET: SPIFFE mTLS on every channel with the Workload API's SVID;
// NSM_INSECURE=true: plain text, loudly; neither: a configuration error naming both (exit code 2).
import type { Config } from "../config/config.js";
import { ConfigError } from "../config/errors.js";
import { keepaliveOf } from "../grpc/keepalive.js";
import { Transport, type TransportOptions } from "../grpc/transport.js";
import type { Logger } from "../log.js";
import { authorizerFrom } from "./authorizer.js";
import { SpiffeCredentials } from "./credentials.js";
import type { IdentitySource } from "./identity.js";
import { WorkloadApiSource } from "./svid.js";

/** What /readyz shows about transport security. */
export interface SecurityStatus {
  mode: "spiffe" | "insecure";
  /** An identity is held (always true when insecure: there is nothing to wait for). */
  ready: boolean;
  spiffeId?: string;
  /** Set when insecure, or while no identity has been issued yet. */
  warning?: string;
}

export interface TransportSecurity {
  transport: Transport;
  /** Undefined when insecure. */
  identity?: IdentitySource;
  status(): SecurityStatus;
  close(): void;
}

export const INSECURE_WARNING = "NSM_INSECURE=true: plain text gRPC, no mTLS and no path tokens";

/** A plain-text transport, for an explicit NSM_INSECURE=true. */
export function insecureSecurity(o: TransportOptions = {}): TransportSecurity {
  return {
    transport: new Transport(o),
    status: () => ({ mode: "insecure", ready: true, warning: INSECURE_WARNING }),
    close: () => {},
  };
}

/** SPIFFE mTLS from any identity source, peers accepted per `allowedSpiffeIds`. */
export function spiffeSecurity(
  identity: IdentitySource & { status?: () => { lastError?: string }; close?: () => void },
  allowedSpiffeIds: readonly string[],
  o: TransportOptions = {},
): TransportSecurity {
  const credentials = new SpiffeCredentials(
    identity,
    authorizerFrom(allowedSpiffeIds, "NSM_ALLOWED_SPIFFE_IDS"),
  );
  return {
    transport: new Transport({ ...o, credentials }),
    identity,
    status: () => {
      const held = identity.current();
      if (held) return { mode: "spiffe", ready: true, spiffeId: held.spiffeId };
      const why = identity.status?.().lastError;
      return { mode: "spiffe", ready: false, warning: `no SPIFFE identity yet${why ? ` (${why})` : ""}` };
    },
    close: () => identity.close?.(),
  };
}

/** From the settings; throws ConfigError (exit 2) when neither an identity source nor NSM_INSECURE is set. */
export function transportSecurity(
  config: Config,
  log: Logger,
  given: TransportOptions = {},
): TransportSecurity {
  const o: TransportOptions = { keepalive: keepaliveOf(config), ...given };
  if (config.insecure) {
    log.warn(
      { ignored: config.spiffeEndpointSocket ? "SPIFFE_ENDPOINT_SOCKET" : undefined },
      `${INSECURE_WARNING}; never run like this in a cluster`,
    );
    return insecureSecurity(o);
  }
  if (!config.spiffeEndpointSocket) {
    throw new ConfigError(
      "SPIFFE_ENDPOINT_SOCKET",
      "is required (the SPIRE agent's Workload API, e.g. unix:///run/spire/sockets/agent.sock); " +
        "set NSM_INSECURE=true to run with plain text instead",
    );
  }
  log.info({ address: config.spiffeEndpointSocket }, "retrieving SVID from the Workload API");
  const source = new WorkloadApiSource({
    address: config.spiffeEndpointSocket,
    log: log.child({ component: "svid" }),
  });
  return spiffeSecurity(source, config.allowedSpiffeIds, o);
}
