// A development and test SPIFFE Workload API server: a local CA for one trust domain, and one socket
// per workload, each issuing a fixed SPIFFE ID (a real agent attests the caller; over a plain socket
// we cannot, so the socket stands for the workload). SVIDs are short-lived and re-issued on a timer,
// every open FetchX509SVID stream getting the new one: rotation as SPIRE does it. Never for production.
import * as grpc from "@grpc/grpc-js";
import {
  type SpiffeWorkloadAPIServer,
  SpiffeWorkloadAPIService,
  type X509SVIDResponse,
} from "../grpc/gen/spiffe/workload/workload.js";
import { Transport } from "../grpc/transport.js";
import { formatGrpcUrl, parseGrpcUrl } from "../grpc/url.js";
import type { Logger } from "../log.js";
import { type CertificateAuthority, createCertificateAuthority, type IssuedSvid } from "./ca.js";
import { parseSpiffeId, trustDomainId } from "./spiffe-id.js";
import { WORKLOAD_HEADER } from "./svid.js";
import { workloadApiTarget } from "./workload-address.js";

export interface WorkloadOptions {
  /** unix:///path/agent.sock or tcp://ip:port */
  listen: string;
  spiffeId: string;
  /** Until provisioned, calls get PERMISSION_DENIED, as an agent answers a workload with no entry. */
  provisioned?: boolean;
}

export interface WorkloadApiServerOptions {
  trustDomain: string;
  /** SVID lifetime (default 1 h, as NSM's SPIRE config). */
  svidTtlMs?: number;
  /** Re-issue period (default half the TTL, when SPIRE rotates). */
  rotateEveryMs?: number;
  /** Other CAs whose bundles are sent as federated_bundles. */
  federatesWith?: readonly CertificateAuthority[];
  log: Logger;
}

interface Workload {
  spiffeId: string;
  address: string;
  server: grpc.Server;
  provisioned: boolean;
  svid?: IssuedSvid;
  streams: Set<grpc.ServerWritableStream<unknown, X509SVIDResponse>>;
}

/** The Workload API is plain text by its standard: the socket is local, the agent attests callers. */
const PLAIN = new Transport();

export class WorkloadApiServer {
  private readonly workloads = new Map<string, Workload>();
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    readonly ca: CertificateAuthority,
    private readonly o: WorkloadApiServerOptions,
  ) {
    const every = o.rotateEveryMs ?? this.ttl / 2;
    this.timer = setInterval(() => void this.rotate(), every);
    this.timer.unref();
  }

  static async start(o: WorkloadApiServerOptions): Promise<WorkloadApiServer> {
    return new WorkloadApiServer(await createCertificateAuthority({ trustDomain: o.trustDomain }), o);
  }

  get trustDomain(): string {
    return this.ca.trustDomain;
  }

  private get ttl(): number {
    return this.o.svidTtlMs ?? 3_600_000;
  }

  /** Serves `spiffeId` on `listen`; resolves with the address to put in SPIFFE_ENDPOINT_SOCKET. */
  async addWorkload(w: WorkloadOptions): Promise<string> {
    const id = parseSpiffeId(w.spiffeId, "--spiffe-id");
    if (id.trustDomain !== this.trustDomain) {
      throw new Error(`--spiffe-id: ${id.uri} is not in the trust domain ${this.trustDomain}`);
    }
    workloadApiTarget(w.listen, "--listen"); // the standard's stricter address rules first
    const server = PLAIN.server();
    const workload: Workload = {
      spiffeId: id.uri,
      address: w.listen,
      server,
      provisioned: w.provisioned ?? true,
      streams: new Set(),
    };
    server.addService(SpiffeWorkloadAPIService, this.service(workload));
    workload.address = formatGrpcUrl(await PLAIN.bind(server, parseGrpcUrl(w.listen)));
    this.workloads.set(workload.address, workload);
    this.o.log.info({ address: workload.address, spiffeId: id.uri }, "Workload API serving");
    return workload.address;
  }

  /** Lets a workload added with `provisioned: false` have its SVID. */
  async provision(address: string): Promise<void> {
    const w = this.get(address);
    w.provisioned = true;
    await this.reissue(w);
  }

  /** Issues a new SVID to every workload now and pushes it to every open stream. */
  async rotate(): Promise<void> {
    await Promise.all([...this.workloads.values()].filter((w) => w.provisioned).map((w) => this.reissue(w)));
  }

  /** The current SVID of a workload (undefined before its first call). */
  svidOf(address: string): IssuedSvid | undefined {
    return this.get(address).svid;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all(
      [...this.workloads.values()].map(async (w) => {
        for (const s of w.streams) s.end();
        await PLAIN.shutdown(w.server);
      }),
    );
    this.workloads.clear();
  }

  private get(address: string): Workload {
    const w = this.workloads.get(address);
    if (!w) throw new Error(`no workload is served on ${address}`);
    return w;
  }

  private async reissue(w: Workload): Promise<void> {
    w.svid = await this.ca.issue(w.spiffeId, this.ttl);
    const res = this.response(w);
    for (const s of w.streams) s.write(res);
  }

  private response(w: Workload): X509SVIDResponse {
    const der = this.bundleDer;
    const federatedBundles: Record<string, Buffer> = {};
    for (const ca of this.o.federatesWith ?? []) federatedBundles[trustDomainId(ca.trustDomain)] = der(ca);
    return {
      svids: [
        {
          spiffeId: w.spiffeId,
          x509Svid: Buffer.concat(w.svid!.certChain),
          x509SvidKey: w.svid!.privateKey,
          bundle: der(this.ca),
          hint: "",
        },
      ],
      crl: [],
      federatedBundles,
    };
  }

  private readonly bundleDer = (ca: CertificateAuthority): Buffer =>
    Buffer.concat(ca.bundle.map((c) => c.raw));

  private service(w: Workload): SpiffeWorkloadAPIServer {
    const unimplemented = (_call: unknown, cb: grpc.sendUnaryData<never>) =>
      cb({ code: grpc.status.UNIMPLEMENTED, details: "JWT-SVIDs are not issued by this server" });
    const refused = (call: grpc.ServerWritableStream<unknown, unknown>): boolean => {
      if (call.metadata.get(WORKLOAD_HEADER)[0] !== "true") {
        call.emit("error", {
          code: grpc.status.INVALID_ARGUMENT,
          details: `missing ${WORKLOAD_HEADER}: true`,
        });
        return true;
      }
      if (!w.provisioned) {
        call.emit("error", {
          code: grpc.status.PERMISSION_DENIED,
          details: `no identity issued for ${w.address}`,
        });
        return true;
      }
      return false;
    };
    return {
      fetchJwtsvid: unimplemented,
      validateJwtsvid: unimplemented,
      fetchJwtBundles: (call) =>
        call.emit("error", { code: grpc.status.UNIMPLEMENTED, details: "no JWT bundles" }),
      fetchX509Bundles: (call) => {
        if (refused(call)) return;
        const bundles: Record<string, Buffer> = {
          [trustDomainId(this.trustDomain)]: this.bundleDer(this.ca),
        };
        for (const ca of this.o.federatesWith ?? [])
          bundles[trustDomainId(ca.trustDomain)] = this.bundleDer(ca);
        // Sent once and ended: bundles never change here, and an open call would hold up stop().
        call.write({ crl: [], bundles });
        call.end();
      },
      fetchX509Svid: async (call) => {
        if (refused(call)) return;
        w.streams.add(call);
        call.on("cancelled", () => w.streams.delete(call));
        call.on("close", () => w.streams.delete(call));
        if (!w.svid) await this.reissue(w);
        else call.write(this.response(w));
      },
    };
  }
}
