// The descriptors received on one connection, matched by (st_dev, st_ino) as NSM's grpcfd does:
// push-only (the peer sends what it likes, unasked), one cached copy per object (duplicates are
// closed), waiters get a fresh duplicate they own, and everything is closed with the connection.
import { type Inode, inodeKey } from "./inode-url.js";

/** The three operations the store needs; the addon in production, a fake in element tests. */
export interface FdOps {
  identity(fd: number): Inode;
  dup(fd: number): number;
  close(fd: number): void;
}

export class FdWaitError extends Error {
  override name = "FdWaitError";
}

interface Waiter {
  resolve(fd: number): void;
  reject(err: Error): void;
  timer?: NodeJS.Timeout;
}

/**
 * Descriptors kept per connection at most. A peer pushes them unasked (even before TLS), so without a
 * bound it could fill the process's descriptor table; past it the oldest object is let go, as a
 * descriptor nobody waited for so long is one nobody will ask for.
 */
export const MAX_FDS_PER_CONNECTION = 256;

export class FdStore {
  private readonly cached = new Map<string, number>();
  private readonly waiters = new Map<string, Set<Waiter>>();
  private closed = false;

  constructor(
    private readonly ops: FdOps,
    private readonly max = MAX_FDS_PER_CONNECTION,
  ) {}

  /** Takes ownership of a received descriptor (closed now if it is a copy of one already here). */
  add(fd: number): void {
    let key: string | undefined;
    try {
      key = this.closed ? undefined : inodeKey(this.ops.identity(fd));
    } catch {
      // Not stat-able: nothing could ever ask for it.
    }
    if (key === undefined || this.cached.has(key)) {
      this.ops.close(fd);
      return;
    }
    this.cached.set(key, fd);
    if (this.cached.size > this.max) {
      const [oldest, oldFd] = this.cached.entries().next().value!;
      this.cached.delete(oldest);
      this.ops.close(oldFd);
    }
    const waiting = this.waiters.get(key);
    this.waiters.delete(key);
    for (const w of waiting ?? []) this.settle(w, () => w.resolve(this.ops.dup(fd)));
  }

  /** The objects cached, in arrival order. */
  objects(): Inode[] {
    return [...this.cached.keys()].map((k) => {
      const [dev, ino] = k.split("/");
      return { dev: BigInt(dev!), ino: BigInt(ino!) };
    });
  }

  has(inode: Inode): boolean {
    return this.cached.has(inodeKey(inode));
  }

  /** How many objects are cached (each holds one descriptor). */
  get size(): number {
    return this.cached.size;
  }

  /** A duplicate of the object's descriptor (the caller closes it), once it has arrived; rejects
   * at `deadline` (epoch ms) or when the connection closes. */
  wait(inode: Inode, deadline: number): Promise<number> {
    const key = inodeKey(inode);
    const fd = this.cached.get(key);
    if (fd !== undefined) return Promise.resolve(this.ops.dup(fd));
    if (this.closed) return Promise.reject(new FdWaitError(`connection closed before ${key} arrived`));
    return new Promise<number>((resolve, reject) => {
      const w: Waiter = { resolve, reject };
      const set = this.waiters.get(key) ?? new Set<Waiter>();
      this.waiters.set(key, set);
      set.add(w);
      w.timer = setTimeout(
        () => {
          set.delete(w);
          if (set.size === 0) this.waiters.delete(key);
          reject(new FdWaitError(`no descriptor for inode://${key} arrived before the deadline`));
        },
        Math.max(0, deadline - Date.now()),
      );
    });
  }

  /** The connection is gone: every cached descriptor is closed, every waiter fails. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const fd of this.cached.values()) this.ops.close(fd);
    this.cached.clear();
    for (const [key, set] of this.waiters) {
      for (const w of set)
        this.settle(w, () => w.reject(new FdWaitError(`connection closed before ${key} arrived`)));
    }
    this.waiters.clear();
  }

  private settle(w: Waiter, fn: () => void): void {
    clearTimeout(w.timer);
    try {
      fn();
    } catch (err) {
      w.reject(err as Error);
    }
  }
}
