// The kernel part of an NSM forwarder for the in-process sandbox: one veth pair per connection,
// its ends created directly in the NSC's and the NSE's network namespaces, named as the kernel
// mechanisms ask, and the connection's IP context applied to both ends. Independent of gRPC.
import type { Item } from "../dataplane/types.js";
import { type Logger, silentLogger } from "../log.js";
import { checkIfName, delLine, delOrder, isAlreadyGone, putLine } from "./commands.js";
import { checkNetnsName, IpBatchError, ipBatch, ipJson, ipLine, NETNS_GONE, runIp } from "./ip.js";
import { type EndConfig, endConfig, type IpContextInput } from "./ipcontext.js";

export type { IpContextInput, IpContextRoute } from "./ipcontext.js";
export { createNetns, deleteNetns, listNetns } from "./netns.js";

/** NSM's default client interface name (cmd-nsc `kernel://service/nsm-1`). */
export const DEFAULT_NSC_IFNAME = "nsm-1";

export interface KernelConnectionRequest {
  connectionId: string;
  /** Network namespaces: names under /run/netns, or /proc/<pid>/fd/<n> of a descriptor received. */
  nscNetns: string;
  /** The NSC's kernel mechanism `name` parameter; default "nsm-1". */
  nscIfName?: string;
  nseNetns: string;
  /** The NSE's kernel mechanism `name` parameter (the endpoint's interface item name). */
  nseIfName: string;
  ipContext?: IpContextInput;
}

interface Link {
  request: Required<Omit<KernelConnectionRequest, "ipContext">>;
  src: EndConfig;
  dst: EndConfig;
}

export class KernelForwarder {
  private readonly links = new Map<string, Link>();
  private readonly log: Logger;

  constructor(options: { log?: Logger } = {}) {
    this.log = (options.log ?? silentLogger()).child({ component: "kernel-forwarder" });
  }

  /** Creates the link, or on a refresh of the same link re-applies the (possibly new) IP context. */
  async connect(req: KernelConnectionRequest): Promise<void> {
    const request = {
      connectionId: req.connectionId,
      nscNetns: checkNetnsName(req.nscNetns),
      nscIfName: checkIfName(req.nscIfName || DEFAULT_NSC_IFNAME),
      nseNetns: checkNetnsName(req.nseNetns),
      nseIfName: checkIfName(req.nseIfName),
    };
    const ctx = req.ipContext ?? {};
    const next: Link = {
      request,
      src: endConfig(ctx, "src", request.nscIfName),
      dst: endConfig(ctx, "dst", request.nseIfName),
    };
    const prev = this.links.get(req.connectionId);
    if (prev && sameLink(prev, next)) {
      await this.update(prev, next);
      this.links.set(req.connectionId, next);
      return;
    }
    if (prev) await this.disconnect(req.connectionId);
    await this.create(next);
    this.links.set(req.connectionId, next);
    this.log.debug(
      { connectionId: req.connectionId, nsc: request.nscNetns, nse: request.nseNetns },
      "connected",
    );
  }

  /** Deletes the link (both ends, with their addresses and routes). False if it was not ours. */
  async disconnect(connectionId: string): Promise<boolean> {
    const link = this.links.get(connectionId);
    if (!link) return false;
    this.links.delete(connectionId);
    const r = link.request;
    // Deleting either end removes the pair; the NSE end is tried first, the NSC end if it is gone.
    if (!(await deleteLink(r.nseNetns, r.nseIfName))) await deleteLink(r.nscNetns, r.nscIfName);
    this.log.debug({ connectionId }, "disconnected");
    return true;
  }

  /** Where a link's ends are (namespaces as given: names, or descriptor paths), for checks and status. */
  linkOf(connectionId: string): Readonly<Omit<KernelConnectionRequest, "ipContext">> | undefined {
    return this.links.get(connectionId)?.request;
  }

  connectionIds(): string[] {
    return [...this.links.keys()];
  }

  async close(): Promise<void> {
    for (const id of this.connectionIds()) await this.disconnect(id);
  }

  private async create(link: Link, retry = true): Promise<void> {
    const r = link.request;
    const nscLines = [
      ipLine(
        "link",
        "add",
        "name",
        r.nscIfName,
        "type",
        "veth",
        "peer",
        "name",
        r.nseIfName,
        "netns",
        r.nseNetns,
      ),
      ...endLines(r.nscIfName, alias("client", r.connectionId), link.src),
    ];
    try {
      await ipBatch(nscLines, { netns: r.nscNetns });
    } catch (err) {
      if (err instanceof IpBatchError && err.failure.line === 1 && /File exists/.test(err.failure.message)) {
        // A link left by an earlier life of this same connection is replaced, as NSM does.
        if (retry && (await this.removeStale(r))) return this.create(link, false);
        throw new Error(
          `connection ${r.connectionId}: ${r.nscIfName} in ${r.nscNetns} or ${r.nseIfName} in ${r.nseNetns} already exists`,
        );
      }
      if (!(err instanceof IpBatchError) || err.applied > 0)
        await deleteLink(r.nscNetns, r.nscIfName).catch(() => false);
      throw err;
    }
    try {
      await ipBatch(endLines(r.nseIfName, alias("server", r.connectionId), link.dst), { netns: r.nseNetns });
    } catch (err) {
      await deleteLink(r.nscNetns, r.nscIfName).catch(() => false);
      throw err;
    }
  }

  /** A refresh: drop what the previous IP context had and the new one does not, replace the rest. */
  private async update(prev: Link, next: Link): Promise<void> {
    const r = next.request;
    await Promise.all([
      reapply(r.nscNetns, items(prev.src), items(next.src)),
      reapply(r.nseNetns, items(prev.dst), items(next.dst)),
    ]);
  }

  private async removeStale(r: Link["request"]): Promise<boolean> {
    for (const [netns, ifName, role] of [
      [r.nseNetns, r.nseIfName, "server"],
      [r.nscNetns, r.nscIfName, "client"],
    ] as const) {
      const found = await ipJson<{ ifalias?: string }>(["link", "show", "dev", ifName], { netns }).catch(
        () => [],
      );
      if (found[0]?.ifalias === alias(role, r.connectionId)) {
        this.log.info({ connectionId: r.connectionId, netns, ifName }, "removing stale link");
        await deleteLink(netns, ifName);
        return true;
      }
    }
    return false;
  }
}

function sameLink(a: Link, b: Link): boolean {
  return JSON.stringify(a.request) === JSON.stringify(b.request);
}

function items(end: EndConfig): Item[] {
  return [...end.addresses, ...end.routes];
}

/** The alias marks whose end a link is, so that a stale one can be recognised (NSM does the same). */
function alias(role: "client" | "server", connectionId: string): string {
  return `${role}-${connectionId.replace(/[^A-Za-z0-9_.:@-]/g, "_")}`.slice(0, 200);
}

function endLines(ifName: string, linkAlias: string, end: EndConfig): string[] {
  return [
    ipLine("link", "set", "dev", ifName, "alias", linkAlias, "up"),
    ...end.addresses.map(putLine),
    ...end.routes.map(putLine),
  ];
}

async function reapply(netns: string, before: Item[], after: Item[]): Promise<void> {
  const keep = new Set(after.map((i) => JSON.stringify(i)));
  const drop = delOrder(before.filter((i) => !keep.has(JSON.stringify(i))));
  const lines = [...drop.map((i) => delLine(i)!), ...after.map(putLine)];
  const failures = await ipBatch(lines, { netns, force: true });
  const fatal = failures.filter((f) => !(f.line <= drop.length && isAlreadyGone(f.message)));
  if (fatal.length > 0) {
    throw new Error(`refresh in ${netns}: "${fatal[0]!.command}" failed: ${fatal[0]!.message}`);
  }
}

/** True if the link was there and is now deleted; false if it (or its namespace) was already gone. */
async function deleteLink(netns: string, ifName: string): Promise<boolean> {
  const { code, stderr } = await runIp(["link", "del", "dev", ifName], { netns });
  if (code === 0) return true;
  if (isAlreadyGone(stderr) || NETNS_GONE.test(stderr)) return false;
  throw new Error(`ip -n ${netns} link del dev ${ifName}: ${stderr.trim()}`);
}
