// Real packets in the sandbox (root only): every NSE and NSC gets its own network namespace, NSEs
// program theirs with the kernel data plane, and the nsmgrs' kernel forwarder wires veth pairs.

import type { Inode } from "../fd/inode-url.js";
import type { Connection } from "../grpc/gen/networkservice/connection.js";
import { KernelDataplane } from "../kernel/dataplane.js";
import { createNetns, deleteNetns, KernelForwarder } from "../kernel/forwarder.js";
import { type Logger, silentLogger } from "../log.js";
import { type DnsRelay, removeResolvConf, startDnsRelay, writeResolvConf } from "./kernel-dns.js";

export class SandboxKernel {
  private readonly netns = new Map<string, string>();
  /** Where endpoints' passed namespaces are held (each nsmgr's, in every domain of the sandbox). */
  private readonly passed = new Set<(name: string) => { fd: number; inode: Inode } | undefined>();
  private next = 0;
  readonly forwarder: { kernel: KernelForwarder; netnsOf(pod: string): string | undefined };

  constructor(
    private readonly tag = `vl3s${process.pid % 10000}`,
    private readonly log: Logger = silentLogger(),
  ) {
    const kernel = new KernelForwarder({ log });
    this.forwarder = { kernel, netnsOf: (pod) => this.netns.get(pod) };
  }

  /** Adds an nsmgr's table of the namespaces its endpoints passed; returns its removal. */
  addPassedNetns(lookup: (name: string) => { fd: number; inode: Inode } | undefined): () => void {
    this.passed.add(lookup);
    return () => this.passed.delete(lookup);
  }

  /** The namespace endpoint `name` passed when it registered, through whichever nsmgr. */
  passedNetns(name: string): { fd: number; inode: Inode } | undefined {
    for (const lookup of this.passed) {
      const found = lookup(name);
      if (found) return found;
    }
    return undefined;
  }

  /** The pod's namespace, created on first use. */
  async netnsFor(pod: string): Promise<string> {
    let ns = this.netns.get(pod);
    if (!ns) {
      ns = `${this.tag}-${this.next++}`;
      await createNetns(ns);
      this.netns.set(pod, ns);
    }
    return ns;
  }

  async endpointDataplane(name: string): Promise<KernelDataplane> {
    return new KernelDataplane({ netns: await this.netnsFor(name), log: this.log });
  }

  async clientNetns(name: string): Promise<string> {
    return this.netnsFor(name);
  }

  /** An endpoint's workload DNS, reached on its own address, port 53, in its namespace (kernel-dns.ts). */
  dnsRelay(name: string, dir: string): (dns: { port: number }) => Promise<DnsRelay> {
    return async ({ port }) => startDnsRelay(await this.netnsFor(name), `${dir}/${name}-dns.sock`, port);
  }

  /** A client's connection changed: its namespace's resolv.conf follows its DNS context. */
  async useDns(pod: string, connection: Connection): Promise<void> {
    const ns = this.netns.get(pod);
    if (ns) writeResolvConf(ns, connection.context?.dnsContext);
  }

  /** A pod that died: its namespace goes, and every veth end in it with it. */
  async removePod(pod: string): Promise<void> {
    const ns = this.netns.get(pod);
    if (!ns) return;
    this.netns.delete(pod);
    removeResolvConf(ns);
    // A namespace already gone is what was wanted; cleanup() deletes whatever is left at the end.
    await deleteNetns(ns).catch((err) =>
      this.log.debug({ err, pod }, "could not delete the pod's namespace"),
    );
  }

  async cleanup(): Promise<void> {
    await this.forwarder.kernel.close?.();
    for (const pod of [...this.netns.keys()]) await this.removePod(pod);
  }
}
