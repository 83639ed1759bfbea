// The SPIFFE Workload API client: one FetchX509SVID stream kept open, each message (a complete state)
// turned into an Identity, listeners told of every rotation. While no identity is issued yet (agent
// starting, no registration entry: UNAVAILABLE or PERMISSION_DENIED) it retries with go-spiffe's linear
// backoff, 1 s more per attempt up to 30 s, reset after every message received; `status()` says why.
import * as grpc from "@grpc/grpc-js";
import { SpiffeWorkloadAPIClient, type X509SVIDResponse } from "../grpc/gen/spiffe/workload/workload.js";
import { reconnectOptions } from "../grpc/transport.js";
import type { Logger } from "../log.js";
import type { Identity, IdentitySource } from "./identity.js";
import { parseSpiffeId, parseTrustDomain } from "./spiffe-id.js";
import { workloadApiTarget } from "./workload-address.js";
import { identityFromSvid } from "./x509.js";

/** The metadata every Workload API call must carry, or the agent answers INVALID_ARGUMENT. */
export const WORKLOAD_HEADER = "workload.spiffe.io";

export interface WorkloadApiStatus {
  /** "waiting": no identity yet; "ready": one is held; "failed": the agent refused for good; "closed". */
  state: "waiting" | "ready" | "failed" | "closed";
  spiffeId?: string;
  notAfter?: Date;
  /** Why there is no (new) identity: the last stream error or unusable message. */
  lastError?: string;
  /** Stream attempts that failed since the last message. */
  retries: number;
}

export interface WorkloadApiOptions {
  /** SPIFFE_ENDPOINT_SOCKET's value: unix:///path or tcp://ip:port. */
  address: string;
  log: Logger;
  /** Backoff step and cap (go-spiffe: 1 s and 30 s). */
  backoffStepMs?: number;
  backoffMaxMs?: number;
}

/** Reads a Workload API message into an Identity from its first (default) SVID and every bundle. */
export function identityFromResponse(res: X509SVIDResponse): Identity {
  const svid = res.svids[0];
  if (!svid) throw new Error("the response holds no SVID");
  const bundles = new Map<string, Uint8Array>();
  for (const s of res.svids) {
    if (s.bundle.length > 0) bundles.set(parseSpiffeId(s.spiffeId, "spiffe_id").trustDomain, s.bundle);
  }
  for (const [td, der] of Object.entries(res.federatedBundles)) {
    bundles.set(parseTrustDomain(td, "federated_bundles key"), der);
  }
  return identityFromSvid({
    spiffeId: svid.spiffeId,
    certChain: svid.x509Svid,
    privateKey: svid.x509SvidKey,
    bundles,
  });
}

export class WorkloadApiSource implements IdentitySource {
  private readonly client: SpiffeWorkloadAPIClient;
  private readonly listeners = new Set<(identity: Identity) => void>();
  private waiters: { resolve: (i: Identity) => void; reject: (e: Error) => void }[] = [];
  private identity: Identity | undefined;
  private stream: grpc.ClientReadableStream<X509SVIDResponse> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private state: WorkloadApiStatus["state"] = "waiting";
  private lastError: string | undefined;
  private retries = 0;

  constructor(private readonly o: WorkloadApiOptions) {
    // Plain text, as the standard has it: the socket is local and the agent attests the caller. The
    // channel reconnects on our backoff's bounds, not grpc-js's (up to 120 s after an agent restart).
    this.client = new SpiffeWorkloadAPIClient(
      workloadApiTarget(o.address),
      grpc.credentials.createInsecure(),
      reconnectOptions({ initialMs: o.backoffStepMs ?? 1000, maxMs: o.backoffMaxMs ?? 30_000 }),
    );
    this.watch();
  }

  current(): Identity | undefined {
    return this.identity;
  }

  ready(): Promise<Identity> {
    if (this.identity) return Promise.resolve(this.identity);
    if (this.state === "failed" || this.state === "closed") {
      return Promise.reject(new Error(`Workload API ${this.state}: ${this.lastError ?? "no identity"}`));
    }
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  onRotate(listener: (identity: Identity) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  status(): WorkloadApiStatus {
    return {
      state: this.state,
      spiffeId: this.identity?.spiffeId,
      notAfter: this.identity?.notAfter,
      lastError: this.lastError,
      retries: this.retries,
    };
  }

  close(): void {
    if (this.state === "closed") return;
    this.state = "closed";
    clearTimeout(this.timer);
    this.stream?.cancel();
    this.client.close();
    this.settle(new Error("Workload API client closed before an identity arrived"));
  }

  private watch(): void {
    const md = new grpc.Metadata();
    md.set(WORKLOAD_HEADER, "true");
    const stream = this.client.fetchX509Svid({}, md);
    this.stream = stream;
    stream.on("data", (res: X509SVIDResponse) => this.receive(res));
    stream.on("error", (err: grpc.ServiceError) => this.ended(stream, err));
    stream.on("end", () => this.ended(stream, undefined));
  }

  private receive(res: X509SVIDResponse): void {
    this.retries = 0;
    let next: Identity;
    try {
      next = identityFromResponse(res);
    } catch (e) {
      // A bad message is reported; the stream stays open for the next one, as go-spiffe does.
      this.lastError = `unusable X509SVIDResponse: ${(e as Error).message}`;
      this.o.log.warn({ err: e }, "Workload API sent an unusable X.509-SVID");
      return;
    }
    const first = !this.identity;
    this.identity = next;
    this.state = "ready";
    this.lastError = undefined;
    this.o.log.info(
      { spiffeId: next.spiffeId, notAfter: next.notAfter },
      first ? "SVID received" : "SVID rotated",
    );
    if (first) this.settle(undefined, next);
    else for (const l of this.listeners) l(next);
  }

  private ended(
    stream: grpc.ClientReadableStream<X509SVIDResponse>,
    err: grpc.ServiceError | undefined,
  ): void {
    if (stream !== this.stream || this.state === "closed") return;
    this.stream = undefined;
    if (err?.code === grpc.status.INVALID_ARGUMENT) {
      this.state = "failed";
      this.lastError = `Workload API refused the call: ${err.details}`;
      this.o.log.error({ address: this.o.address, err }, "Workload API refused the call; not retrying");
      this.settle(new Error(this.lastError));
      return;
    }
    this.lastError = err ? `${grpc.status[err.code] ?? err.code}: ${err.details}` : "the stream ended";
    const delay = Math.min(this.o.backoffMaxMs ?? 30_000, (this.o.backoffStepMs ?? 1000) * ++this.retries);
    const msg = this.identity
      ? "Workload API stream lost; the current SVID stays in use"
      : "retrieving SVID, check the SPIRE agent's logs if this repeats";
    this.o.log.warn({ address: this.o.address, error: this.lastError, retryInMs: delay }, msg);
    this.timer = setTimeout(() => this.watch(), delay);
  }

  private settle(err: Error | undefined, identity?: Identity): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      if (identity) w.resolve(identity);
      else w.reject(err!);
    }
  }
}
