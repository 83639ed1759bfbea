// gRPC keepalive on every client and server (applied by transport.ts): how a connection whose peer
// vanished without closing it (a node lost, a partition; no FIN ever comes) is noticed sooner than
// TCP's own retransmission timeout of a quarter of an hour. The values are chosen to be safe with
// NSM's Go servers, whose default policy answers pings more often than every 5 minutes with GOAWAY
// ("too_many_pings") and counts a ping without an open call as abuse.

/** Keepalive timing; every field in ms. */
export interface Keepalive {
  /** A client pings a connection with open calls that was quiet this long (> Go's 5 min minimum). */
  clientTimeMs: number;
  /** ... and drops it when the ping is not answered within this long. */
  clientTimeoutMs: number;
  /** A server pings each client connection that was quiet this long (clients do not police this). */
  serverTimeMs: number;
  /** ... and closes it, ending its calls and streams, when unanswered within this long. */
  serverTimeoutMs: number;
}

/** The settings' defaults (NSM_KEEPALIVE_TIME, NSM_KEEPALIVE_SERVER_TIME, NSM_KEEPALIVE_TIMEOUT). */
export const DEFAULT_KEEPALIVE: Keepalive = {
  clientTimeMs: 310_000,
  clientTimeoutMs: 10_000,
  serverTimeMs: 30_000,
  serverTimeoutMs: 10_000,
};

/** Keepalive from the settings. */
export function keepaliveOf(c: {
  keepaliveTimeMs: number;
  keepaliveServerTimeMs: number;
  keepaliveTimeoutMs: number;
}): Keepalive {
  return {
    clientTimeMs: c.keepaliveTimeMs,
    clientTimeoutMs: c.keepaliveTimeoutMs,
    serverTimeMs: c.keepaliveServerTimeMs,
    serverTimeoutMs: c.keepaliveTimeoutMs,
  };
}

/** grpc-js channel options. No pings without an open call: a Go server would count them as abuse. */
export function clientKeepalive(k: Keepalive = DEFAULT_KEEPALIVE): Record<string, number> {
  return {
    "grpc.keepalive_time_ms": k.clientTimeMs,
    "grpc.keepalive_timeout_ms": k.clientTimeoutMs,
    "grpc.keepalive_permit_without_calls": 0,
  };
}

/** grpc-js server options. */
export function serverKeepalive(k: Keepalive = DEFAULT_KEEPALIVE): Record<string, number> {
  return {
    "grpc.keepalive_time_ms": k.serverTimeMs,
    "grpc.keepalive_timeout_ms": k.serverTimeoutMs,
  };
}
