// FdStore with a fake descriptor table: matching by identity, dedup, waiters with deadlines, and
// that every descriptor is closed with the connection (nothing leaks).
import { afterEach, describe, expect, it, vi } from "vitest";
import { FdStore, FdWaitError } from "../../../src/fd/store.js";
import { FakeFds } from "../../support/fd/fake-fds.js";

const NETNS = { dev: 4n, ino: 4026531993n };
const SOCKET = { dev: 2049n, ino: 77n };

describe("FdStore", () => {
  afterEach(() => vi.useRealTimers());

  it("answers a wait at once when the object arrived first, with a duplicate the caller owns", async () => {
    const fds = new FakeFds();
    const store = new FdStore(fds);
    store.add(fds.open(NETNS));
    const got = await store.wait(NETNS, Date.now() + 1000);
    expect(fds.identity(got)).toEqual(NETNS);
    fds.close(got);
    store.close();
    expect(fds.openCount).toBe(0);
  });

  it("wakes a waiter when the object arrives later, and keeps others apart", async () => {
    const fds = new FakeFds();
    const store = new FdStore(fds);
    const waiting = store.wait(NETNS, Date.now() + 5000);
    store.add(fds.open(SOCKET));
    store.add(fds.open(NETNS));
    const got = await waiting;
    expect(fds.identity(got)).toEqual(NETNS);
    expect(store.has(SOCKET)).toBe(true);
    fds.close(got);
    store.close();
    expect(fds.openCount).toBe(0);
  });

  it("keeps at most its bound of descriptors, letting the oldest go, so a peer cannot fill the table", () => {
    const fds = new FakeFds();
    const store = new FdStore(fds, 3);
    const objects = [1n, 2n, 3n, 4n, 5n].map((ino) => ({ dev: 9n, ino }));
    for (const o of objects) store.add(fds.open(o));
    expect(store.size).toBe(3);
    expect(fds.openCount).toBe(3);
    expect(store.objects()).toEqual(objects.slice(2));
    store.close();
    expect(fds.openCount).toBe(0);
  });

  it("keeps one copy per object: a second copy is closed at once", () => {
    const fds = new FakeFds();
    const store = new FdStore(fds);
    store.add(fds.open(NETNS));
    store.add(fds.open(NETNS));
    expect(store.size).toBe(1);
    expect(fds.openCount).toBe(1);
    store.close();
  });

  it("fails a waiter at its deadline", async () => {
    vi.useFakeTimers();
    const fds = new FakeFds();
    const store = new FdStore(fds);
    const waiting = store.wait(NETNS, Date.now() + 200);
    const failed = expect(waiting).rejects.toThrow(/inode:\/\/4\/4026531993 arrived before the deadline/);
    vi.advanceTimersByTime(200);
    await failed;
    store.close();
  });

  it("fails waiters and closes everything when the connection closes", async () => {
    const fds = new FakeFds();
    const store = new FdStore(fds);
    store.add(fds.open(SOCKET));
    const waiting = store.wait(NETNS, Date.now() + 60_000);
    store.close();
    await expect(waiting).rejects.toThrow(FdWaitError);
    await expect(store.wait(SOCKET, Date.now() + 1000)).rejects.toThrow(/connection closed/);
    // Late arrivals after the close are closed too.
    store.add(fds.open(NETNS));
    expect(fds.openCount).toBe(0);
  });

  it("closes a descriptor it cannot identify", () => {
    const fds = new FakeFds();
    const store = new FdStore({
      ...fds,
      identity: () => {
        throw new Error("EBADF");
      },
      dup: (fd) => fds.dup(fd),
      close: (fd) => fds.close(fd),
    });
    store.add(fds.open(NETNS));
    expect(fds.openCount).toBe(0);
    expect(store.size).toBe(0);
  });
});
