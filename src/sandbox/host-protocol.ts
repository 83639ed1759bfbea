// The IPC protocol between the sandbox and its endpoint hosts (endpoint-host.ts): each command has an
// id and gets one reply; "meshed" is pushed when a hosted endpoint first has all the peers it was told
// to expect (a bare vL3 endpoint: all its links). Plain data, so that it crosses process.send() as JSON.

export type HostCommand =
  /** Start a vl3-nse from the sandbox's NSM_* environment; `peers`: report "meshed" at that many up;
   * `pathTokens` false: mTLS without path tokens (a sandbox started with pathTokens: false). */
  | { op: "start"; name: string; env: Record<string, string>; peers?: number; pathTokens?: boolean }
  | { op: "stop"; name: string; graceful: boolean }
  | { op: "summary" }
  /** A bare NetworkService server (answers every Request at once) on `socket`, registered as a peer. */
  | { op: "bare"; name: string; socket: string; registry: string; service: string }
  /** A bare vL3 endpoint (bare-vl3.ts) on `socket`, through `nsmgr`; reports "meshed" at `peers` links. */
  | {
      op: "vl3";
      name: string;
      socket: string;
      nsmgr: string;
      service: string;
      index: number;
      peers: number;
      timeoutMs: number;
    }
  /** Requests from `from` to each of `to` through `nsmgr` on one channel, all at once; replies when all answered. */
  | { op: "dial"; from: string; to: string[]; nsmgr: string; service: string }
  /** Stops every endpoint (gracefully) and bare server; the host then waits to be disconnected. */
  | { op: "stopAll" }
  /** The host process's own CPU time so far (user + system, µs): what a benchmark charges each side. */
  | { op: "cpu" };

export type HostRequest = HostCommand & { id: number };

export type HostMessage =
  | { id: number; ok: true; value?: unknown }
  | { id: number; ok: false; error: string }
  | { event: "meshed"; name: string };

/** What `summary` gives for each hosted endpoint, from its actor tree. */
export interface HostedEndpoint {
  name: string;
  prefix?: string;
  /** Peer actors, and those of them in an `up` state. */
  peers: number;
  peersUp: number;
  /** Each peer actor's state by peer name (for a failing test to say which links are missing). */
  peerStates: Record<string, string>;
  /** Connections served to peers that dialled this endpoint. */
  servedLinks: number;
  /** Connections served to NSCs, and the addresses they hold. */
  clients: number;
  clientAddresses: string[];
  /** Addresses of its prefix in use, as its IPAM counts them (its own not counted). */
  addressesUsed: number;
  /** Destinations of the routes in its data plane (the in-memory one, when it runs that). */
  routes: string[];
}
