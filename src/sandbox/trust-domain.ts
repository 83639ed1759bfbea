// The sandbox's trust domain: the development Workload API (a local CA) with one socket per
// participant, each issuing that participant's SPIFFE ID shaped as NSM's SPIRE registrations shape them
// (spiffe://<td>/ns/<namespace>/pod/<name>). Each participant reads its SVID through the real Workload
// API client and speaks SPIFFE mTLS, so the sandbox, the demo and the tests run secured end to end.
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { Logger } from "../log.js";
import { spiffeSecurity, type TransportSecurity } from "../security/setup.js";
import { WorkloadApiSource } from "../security/svid.js";
import { WorkloadApiServer } from "../security/workload-api-server.js";

export const SANDBOX_TRUST_DOMAIN = "sandbox.nsm";

/** Namespaces as in NSM's deployments: the NSM control plane, the vL3 endpoints, the clients. */
export type SandboxNamespace = "nsm-system" | "vl3" | "default";

export interface TrustDomainOptions {
  trustDomain?: string;
  /** SVID lifetime (default 1 h) and re-issue period (default half of it). */
  svidTtlMs?: number;
  rotateEveryMs?: number;
}

export class SandboxTrustDomain {
  private readonly sockets = new Map<string, Promise<string>>();
  private readonly secured = new Map<string, Promise<TransportSecurity>>();

  private constructor(
    readonly workloadApi: WorkloadApiServer,
    private readonly dir: string,
    private readonly log: Logger,
  ) {}

  /** `dir` holds the Workload API sockets (the sandbox's temporary directory). */
  static async start(dir: string, log: Logger, o: TrustDomainOptions = {}): Promise<SandboxTrustDomain> {
    const server = await WorkloadApiServer.start({
      trustDomain: o.trustDomain ?? SANDBOX_TRUST_DOMAIN,
      svidTtlMs: o.svidTtlMs,
      rotateEveryMs: o.rotateEveryMs,
      log: log.child({ component: "workload-api" }),
    });
    return new SandboxTrustDomain(server, dir, log);
  }

  get trustDomain(): string {
    return this.workloadApi.trustDomain;
  }

  spiffeId(name: string, namespace: SandboxNamespace): string {
    return `spiffe://${this.trustDomain}/ns/${namespace}/pod/${name}`;
  }

  /**
   * The Workload API address (SPIFFE_ENDPOINT_SOCKET) that issues `name`'s SVID, known at once (for
   * an endpoint host's environment); the socket is served from then on (`socket` waits for it).
   */
  address(name: string, namespace: SandboxNamespace): string {
    const id = this.spiffeId(name, namespace);
    // Unix socket paths are short (108 bytes): the sandbox dir plus a short digest of the ID.
    const listen = `unix://${join(this.dir, `wl-${createHash("sha256").update(id).digest("hex").slice(0, 12)}.sock`)}`;
    if (!this.sockets.has(id)) {
      const bound = this.workloadApi.addWorkload({ listen, spiffeId: id });
      bound.catch((err) => this.log.error({ err, spiffeId: id }, "sandbox Workload API socket failed"));
      this.sockets.set(id, bound);
    }
    return listen;
  }

  /** Like `address`, once the socket serves. */
  socket(name: string, namespace: SandboxNamespace): Promise<string> {
    this.address(name, namespace);
    return this.sockets.get(this.spiffeId(name, namespace))!;
  }

  /**
   * `name`'s SVID through the Workload API, and SPIFFE mTLS built on it; resolves once the SVID is
   * held. One per participant, kept across its restarts (its Workload API stream stays open).
   */
  security(name: string, namespace: SandboxNamespace): Promise<TransportSecurity> {
    const id = this.spiffeId(name, namespace);
    let secured = this.secured.get(id);
    if (!secured) {
      secured = this.socket(name, namespace).then(async (address) => {
        const source = new WorkloadApiSource({
          address,
          log: this.log.child({ component: "svid", workload: name }),
          backoffStepMs: 100,
          backoffMaxMs: 1000,
        });
        const security = spiffeSecurity(source, []);
        await source.ready();
        return security;
      });
      this.secured.set(id, secured);
    }
    return secured;
  }

  /** Issues every participant a new SVID now: every open Workload API stream gets it. */
  rotate(): Promise<void> {
    return this.workloadApi.rotate();
  }

  async stop(): Promise<void> {
    for (const s of await Promise.allSettled(this.secured.values()))
      if (s.status === "fulfilled") s.value.close();
    this.secured.clear();
    await this.workloadApi.stop();
  }
}
