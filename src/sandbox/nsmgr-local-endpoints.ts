// What a sandbox nsmgr holds for the endpoints that registered through it where descriptors pass:
// each one's listening socket and network namespace, as passed on its Register (NSM's registry recvfd).
// Kept apart from the registry server that feeds it (nsmgr-registry.ts): the sandbox reads it too (an
// endpoint's namespace for the kernel forwarder), and a descriptor lives here until its endpoint is gone.
import { statSync } from "node:fs";
import { type Inode, parseInodeUrl, procFdPath } from "../fd/inode-url.js";
import type { FdNative } from "../fd/native.js";
import type { currentFdConnection } from "../grpc/fd-transport.js";

interface LocalEndpoint {
  socket: { inode: string; fd: number };
  netns?: { inode: Inode; fd: number };
  expiry?: NodeJS.Timeout;
}

/** How long a replaced endpoint socket's descriptor stays open (its /proc/<pid>/fd/<n> refusing dials). */
const RETIRE_MS = 30_000;

/** What the nsmgr holds for the endpoints that registered through it. */
export class LocalEndpoints {
  private readonly byName = new Map<string, LocalEndpoint>();
  private readonly retired = new Map<number, NodeJS.Timeout>();
  private readonly nsfsDev = statSync("/proc/self/ns/net", { bigint: true }).dev;

  constructor(
    private readonly native: FdNative,
    /** An endpoint is gone (unregistered, or its registration expired): not when it re-registers. */
    private readonly onGone: (name: string) => void = () => {},
  ) {}

  /** The endpoint's network namespace: our descriptor of it (the caller duplicates it), and the object. */
  netnsOf(name: string): { fd: number; inode: Inode } | undefined {
    return this.byName.get(name)?.netns;
  }

  /**
   * Takes the endpoint's socket (and its netns, the one nsfs object on the connection) off `conn`, to be
   * held for `name` only once the registry accepted the call (`keep`): a Register the registry refuses
   * (another identity's, for this name) must leave the endpoint's own descriptors as they were (`drop`).
   */
  async receive(
    name: string,
    url: string,
    conn: NonNullable<ReturnType<typeof currentFdConnection>>,
    deadline: number,
  ): Promise<{ url: string; keep(): void; drop(): void }> {
    const known = this.byName.get(name);
    if (known?.socket.inode === url)
      return { url: `unix://${procFdPath(known.socket.fd)}`, keep: () => {}, drop: () => {} };
    const fd = await conn.store.wait(parseInodeUrl(url), deadline);
    const netnses = conn.store.objects().filter((o) => o.dev === this.nsfsDev);
    const netns =
      netnses.length === 1
        ? { inode: netnses[0]!, fd: await conn.store.wait(netnses[0]!, deadline) }
        : undefined;
    const taken: LocalEndpoint = { socket: { inode: url, fd }, netns };
    return {
      url: `unix://${procFdPath(fd)}`,
      keep: () => {
        this.release(name, { retire: true }); // a restart under the same name: a new socket, the same endpoint
        this.byName.set(name, taken);
      },
      drop: () => this.closeEntry(taken),
    };
  }

  /** As NSM's nsmgr expires a registration that was not refreshed: its descriptors go (a dead pod's
   * namespace is then really gone, and its veths with it). */
  expireAt(name: string, when: Date | undefined): void {
    const e = this.byName.get(name);
    if (!e || !when) return;
    clearTimeout(e.expiry);
    e.expiry = setTimeout(() => this.expire(name), Math.max(0, when.getTime() - Date.now()));
    e.expiry.unref();
  }

  /** Past its expiration: gone if its socket refuses; a live endpoint whose refresh is late (a busy
   * machine) keeps its links, and is looked at again a moment later. */
  private expire(name: string): void {
    const e = this.byName.get(name);
    if (!e) return;
    try {
      this.native.close(this.native.connect(procFdPath(e.socket.fd)));
    } catch {
      this.forget(name);
      return;
    }
    e.expiry = setTimeout(() => this.expire(name), 1000);
    e.expiry.unref();
  }

  forget(name: string): void {
    if (this.release(name)) this.onGone(name);
  }

  /** `retire`: the replaced socket's descriptor stays open a while (RETIRE_MS), so that a dial by its old
   * URL, still in a caller's cache, is refused by the dead socket instead of reaching whatever would
   * take its number next. */
  private release(name: string, o: { retire?: boolean } = {}): boolean {
    const e = this.byName.get(name);
    this.byName.delete(name);
    if (e) this.closeEntry(e, o.retire);
    return e !== undefined;
  }

  private closeEntry(e: LocalEndpoint, retire = false): void {
    clearTimeout(e.expiry);
    if (retire) {
      const fd = e.socket.fd;
      const timer = setTimeout(() => {
        this.retired.delete(fd);
        this.native.close(fd);
      }, RETIRE_MS);
      timer.unref();
      this.retired.set(fd, timer);
    } else this.native.close(e.socket.fd);
    if (e.netns) this.native.close(e.netns.fd);
  }

  closeAll(): void {
    for (const name of [...this.byName.keys()]) this.release(name);
    for (const [fd, timer] of this.retired) {
      clearTimeout(timer);
      this.native.close(fd);
    }
    this.retired.clear();
  }
}
