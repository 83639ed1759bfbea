// The sandbox nsmgr's kernel forwarder wiring for one KERNEL connection: a veth created before the NSE
// sees the request (our NSE programs its own end), the IP context on both ends once it has answered.
// Where descriptors pass (the addon is here), the NSE's end goes into the namespace the NSE passed when it
// registered, and a dialling NSE's end into the one it passed with its Request, each opened through a
// descriptor the nsmgr holds for the link's life (/proc/<pid>/fd/<n>), never by name; the NSE's answer
// must name the same namespace. Only the sandbox's plain NSCs, which pass nothing, are found by name.
import * as grpc from "@grpc/grpc-js";
import { linkInterface } from "../dataplane/names.js";
import { type Inode, inodeKey, inodeUrl, isInodeUrl, parseInodeUrl, procFdPath } from "../fd/inode-url.js";
import type { FdNative } from "../fd/native.js";
import type { FdSocket } from "../fd/socket.js";
import type { Connection, Mechanism } from "../grpc/gen/networkservice/connection.js";
import type { KernelForwarder } from "../kernel/forwarder.js";
import { target } from "../registry/interdomain.js";
import { PEER_REQUEST_LABEL } from "../registry/labels.js";
import { statusError } from "../util/grpc.js";

export interface SandboxForwarder {
  kernel: KernelForwarder;
  /** A pod's namespace by name: for NSCs that pass no descriptor (and where the addon is missing). */
  netnsOf(podName: string): string | undefined;
}

export interface KernelLinkOptions {
  forwarder: SandboxForwarder;
  /** With descriptors: the NSE's namespace as passed at registration (its descriptor and object). */
  endpointNetns?(name: string): { fd: number; inode: Inode } | undefined;
  native?: FdNative;
}

export interface KernelLink {
  create(): Promise<void>;
  apply(response: Connection): Promise<void>;
  remove(): Promise<void>;
}

export class KernelLinks {
  /** Descriptors held per connection id (ours, duplicated): its namespaces' paths stay valid. */
  private readonly held = new Map<
    string,
    { endpoint: string; nse?: number; nsc?: number; nseInode?: Inode }
  >();

  constructor(private readonly o: KernelLinkOptions) {}

  async link(
    request: Connection,
    prefs: Mechanism[],
    nse: string,
    connectionId: string,
    caller: FdSocket | undefined,
    deadline: number,
  ): Promise<KernelLink | undefined> {
    const fw = this.o.forwarder;
    const mechanism = request.mechanism?.type ? request.mechanism : prefs[0];
    if (mechanism?.type !== "KERNEL") return undefined;
    const peerOf = request.labels[PEER_REQUEST_LABEL];
    const client = peerOf ?? request.labels.podName ?? request.path?.pathSegments[0]?.name ?? "";
    const held = this.held.get(connectionId) ?? { endpoint: nse };
    this.held.set(connectionId, held);
    const native = this.o.native;
    if (this.o.endpointNetns && native && held.nse === undefined) {
      const e = this.o.endpointNetns(nse) ?? this.o.endpointNetns(target(nse));
      if (!e)
        throw statusError(grpc.status.FAILED_PRECONDITION, `endpoint ${nse} passed no network namespace`);
      held.nse = native.dup(e.fd);
      held.nseInode = e.inode;
    }
    // The caller's own namespace is in its preference (a refresh's connection.mechanism echoes the NSE's).
    const theirs = prefs.find((p) => p.type === "KERNEL")?.parameters.inodeURL ?? "";
    if (peerOf && caller && isInodeUrl(theirs) && held.nsc === undefined) {
      // The dialler passed its namespace with this Request (NSM's kernel client and sendfd).
      held.nsc = await caller.store.wait(parseInodeUrl(theirs), deadline).catch((err: Error) => {
        throw statusError(grpc.status.DEADLINE_EXCEEDED, `mechanism.parameters.inodeURL: ${err.message}`);
      });
    }
    // Pods are named as started; a peer of another domain is known here by `name@domain`.
    const nscNetns = held.nsc !== undefined ? procFdPath(held.nsc) : fw.netnsOf(target(client));
    const nseNetns = held.nse !== undefined ? procFdPath(held.nse) : fw.netnsOf(target(nse));
    if (!nscNetns || !nseNetns) {
      this.release(connectionId);
      throw statusError(grpc.status.FAILED_PRECONDITION, `no network namespace for ${client} or ${nse}`);
    }
    const nseIfName = linkInterface(peerOf ? "peer" : "client", connectionId);
    // A dialling NSE names its end like the serving one (same connection id), in its own namespace.
    const nscIfName = peerOf ? nseIfName : request.mechanism?.parameters.name || undefined;
    const base = { connectionId, nscNetns, nscIfName, nseNetns, nseIfName };
    return {
      create: () => fw.kernel.connect(base),
      apply: async (response) => {
        const answered = response.mechanism?.parameters.inodeURL ?? "";
        if (
          held.nseInode &&
          isInodeUrl(answered) &&
          inodeKey(parseInodeUrl(answered)) !== inodeKey(held.nseInode)
        ) {
          throw statusError(
            grpc.status.INTERNAL,
            `endpoint ${nse} answered inodeURL ${answered}, not the namespace it registered with (${inodeUrl(held.nseInode)})`,
          );
        }
        await fw.kernel.connect({ ...base, ipContext: response.context?.ipContext });
      },
      remove: () => this.remove(connectionId),
    };
  }

  /** Deletes the link and lets go of its descriptors. */
  async remove(connectionId: string): Promise<void> {
    await this.o.forwarder.kernel.disconnect(connectionId).catch(() => false);
    this.release(connectionId);
  }

  /** An endpoint is gone for good: its links go now. Our descriptors would keep its namespace (and the
   * veth ends in it, with the NSCs' interface names) alive after the pod has died. */
  async removeEndpoint(name: string): Promise<void> {
    for (const [id, held] of [...this.held]) if (held.endpoint === name) await this.remove(id);
  }

  async closeAll(): Promise<void> {
    for (const id of [...this.held.keys()]) await this.remove(id);
  }

  private release(connectionId: string): void {
    const held = this.held.get(connectionId);
    this.held.delete(connectionId);
    for (const fd of [held?.nse, held?.nsc]) if (fd !== undefined) this.o.native?.close(fd);
  }
}
