// A fake descriptor table for tests that run anywhere: "descriptors" are numbers standing for objects
// with an (dev, ino) identity, dup gives a new number for the same object, and close is counted, so
// element and store tests can check that nothing leaks without the addon.
import type { Inode } from "../../../src/fd/inode-url.js";
import type { FdOps } from "../../../src/fd/store.js";

export class FakeFds implements FdOps {
  private next = 100;
  private readonly table = new Map<number, Inode>();

  /** A new descriptor of the object `inode` (what the peer would have sent). */
  open(inode: Inode): number {
    const fd = this.next++;
    this.table.set(fd, inode);
    return fd;
  }

  identity(fd: number): Inode {
    const inode = this.table.get(fd);
    if (!inode) throw new Error(`EBADF: ${fd}`);
    return inode;
  }

  dup(fd: number): number {
    return this.open(this.identity(fd));
  }

  close(fd: number): void {
    if (!this.table.delete(fd)) throw new Error(`EBADF: close ${fd}`);
  }

  /** Descriptors still open. */
  get openCount(): number {
    return this.table.size;
  }
}
