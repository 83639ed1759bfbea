// The fd-capable duplex: a byte stream over a unix socket the addon owns, so that grpc-js's HTTP/2
// (or TLS under it) runs on it like on a net.Socket, while descriptors queued with sendFd ride on the
// next bytes written (one byte and one descriptor per sendmsg, as NSM's grpcfd does) and descriptors
// that arrive go to this connection's FdStore. No byte is ever added to the stream.
import { fstatSync } from "node:fs";
import { Duplex } from "node:stream";
import type { Inode } from "./inode-url.js";
import type { FdNative, FdPoller } from "./native.js";
import { type FdOps, FdStore } from "./store.js";

const READABLE = 1;
const WRITABLE = 2;
/** Bytes are read into a slab and handed on as views of it, not copied: reads only move forward in
 * it, so no later read touches a region handed on; a new slab is taken when little room is left. */
const SLAB_SIZE = 64 * 1024;
const MIN_ROOM = 8 * 1024;
/** recvmsg calls per readiness event: enough to drain a burst, bounded so the loop breathes. */
const READS_PER_EVENT = 16;

/** fstat's (dev, ino) of a descriptor (bigint: inodes may pass 2^53). */
export function fdIdentity(fd: number): Inode {
  const s = fstatSync(fd, { bigint: true });
  return { dev: s.dev, ino: s.ino };
}

/** What a store needs from the addon, with fstat from Node. */
export function nativeFdOps(native: FdNative): FdOps {
  return {
    identity: fdIdentity,
    dup: (fd) => native.dup(fd),
    close: (fd) => native.close(fd),
  };
}

interface QueuedFd {
  fd: number;
  sent(err?: Error): void;
}

interface PendingWrite {
  chunk: Buffer;
  offset: number;
  callback(err?: Error | null): void;
}

export class FdSocket extends Duplex {
  /** Descriptors the peer sent on this connection. */
  readonly store: FdStore;
  private readonly poller: FdPoller;
  private slab = Buffer.allocUnsafe(SLAB_SIZE);
  private used = 0;
  private readonly queue: QueuedFd[] = [];
  private pending?: PendingWrite;
  private watching = 0;
  private fd: number;
  /** Runs this socket's readiness events; a server sets it to enter the connection's async scope. */
  scope: (fn: () => void) => void = (fn) => fn();

  constructor(
    fd: number,
    private readonly native: FdNative,
  ) {
    super({ allowHalfOpen: false });
    this.fd = fd;
    this.store = new FdStore(nativeFdOps(native));
    this.poller = new native.Poller(fd, (events, error) => this.scope(() => this.onEvents(events, error)));
  }

  /** Queues a duplicate of `fd` to ride on the next bytes written; the caller may close its own at
   * once. Resolves when it was sent; rejects if the connection closes first. */
  sendFd(fd: number): Promise<void> {
    if (this.destroyed) return Promise.reject(new Error("connection closed: descriptor not sent"));
    const dup = this.native.dup(fd);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ fd: dup, sent: (err) => (err ? reject(err) : resolve()) });
    });
  }

  /** As net.Socket's, which grpc-js calls on every connection: unix sockets have no Nagle delay. */
  setNoDelay(): this {
    return this;
  }

  /** Descriptors queued and not yet sent. */
  get queuedFds(): number {
    return this.queue.length;
  }

  override _read(): void {
    this.watch(this.watching | READABLE);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.pending = { chunk, offset: 0, callback };
    this.flush();
  }

  override _writev(
    chunks: Array<{ chunk: Buffer; encoding: BufferEncoding }>,
    callback: (err?: Error | null) => void,
  ): void {
    this._write(Buffer.concat(chunks.map((c) => c.chunk)), "binary", callback);
  }

  override _final(callback: (err?: Error | null) => void): void {
    if (this.fd >= 0) this.native.shutdown(this.fd);
    callback();
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.poller.close();
    if (this.fd >= 0) this.native.close(this.fd);
    this.fd = -1;
    const gone = new Error("connection closed: descriptor not sent");
    for (const q of this.queue.splice(0)) {
      this.native.close(q.fd);
      q.sent(gone);
    }
    this.store.close();
    const pending = this.pending;
    this.pending = undefined;
    pending?.callback(err ?? gone);
    callback(err);
  }

  private watch(events: number): void {
    if (this.fd < 0 || events === this.watching) return;
    this.watching = events;
    this.poller.start(events);
  }

  private onEvents(events: number, error?: Error): void {
    if (error) return void this.destroy(error);
    if (events & WRITABLE) this.flush();
    if (events & READABLE && this.watching & READABLE) this.readSome();
  }

  /** Reads until the socket is drained (a short read: the poll is level-triggered, so bytes that come
   * meanwhile are told again), the reader wants no more, or READS_PER_EVENT. */
  private readSome(): void {
    for (let i = 0; i < READS_PER_EVENT && this.fd >= 0; i++) {
      if (SLAB_SIZE - this.used < MIN_ROOM) {
        this.slab = Buffer.allocUnsafe(SLAB_SIZE);
        this.used = 0;
      }
      const room = SLAB_SIZE - this.used;
      let result: Array<number | "truncated">;
      try {
        result = this.native.recv(this.fd, this.slab.subarray(this.used));
      } catch (err) {
        return void this.destroy(err as Error);
      }
      const n = result[0] as number;
      for (let j = 1; j < result.length; j++) {
        const fd = result[j]!;
        if (fd === "truncated") this.emit("warning", new Error("more than 64 descriptors in one message"));
        else this.store.add(fd);
      }
      if (n < 0) return;
      if (n === 0) {
        this.watch(this.watching & ~READABLE);
        this.push(null);
        return;
      }
      const chunk = this.slab.subarray(this.used, this.used + n);
      this.used += n;
      if (!this.push(chunk)) {
        this.watch(this.watching & ~READABLE);
        return;
      }
      if (n < room) return;
    }
  }

  /** Writes what is pending, queued descriptors first, each on one byte; waits for writability. */
  private flush(): void {
    const p = this.pending;
    if (!p || this.fd < 0) return;
    try {
      while (p.offset < p.chunk.length) {
        const q = this.queue[0];
        const bytes = q ? p.chunk.subarray(p.offset, p.offset + 1) : p.chunk.subarray(p.offset);
        const n = this.native.send(this.fd, bytes, q ? [q.fd] : []);
        if (n < 0) {
          this.watch(this.watching | WRITABLE);
          return;
        }
        p.offset += n;
        if (q && n > 0) {
          this.queue.shift();
          this.native.close(q.fd);
          q.sent();
        }
      }
    } catch (err) {
      this.pending = undefined;
      p.callback(err as Error);
      return;
    }
    this.pending = undefined;
    this.watch(this.watching & ~WRITABLE);
    p.callback();
  }
}

/** Connects to the unix socket at `path`, retrying briefly while its backlog is full. */
export async function connectFdSocket(native: FdNative, path: string, attempts = 20): Promise<FdSocket> {
  for (let i = 1; ; i++) {
    try {
      return new FdSocket(native.connect(path), native);
    } catch (err) {
      if ((err as { code?: string }).code !== "EAGAIN" || i >= attempts) throw err;
      await new Promise((resolve) => setTimeout(resolve, 5 * i));
    }
  }
}
