// Real SCM_RIGHTS over FdSockets: a listener and a dialler in this process, descriptors riding on the
// bytes both ways, the byte stream intact, matching by identity, dedup and nothing leaked.
import { randomBytes } from "node:crypto";
import { fstatSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FdListener, listenFdSocket } from "../../../src/fd/listener.js";
import { connectFdSocket, type FdSocket } from "../../../src/fd/socket.js";
import { fdAvailable, fdSkipReason, inodeOf, native, openFdCount } from "../../support/fd/native.js";
import { eventually } from "../mesh/helpers.js";

function readAll(socket: FdSocket, bytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let got = 0;
  return new Promise((resolve, reject) => {
    socket.on("error", reject);
    socket.on("data", (c: Buffer) => {
      chunks.push(c);
      got += c.length;
      if (got >= bytes) resolve(Buffer.concat(chunks));
    });
  });
}

describe.skipIf(!fdAvailable)(`FdSocket over a unix socket${fdSkipReason}`, () => {
  let dir: string;
  let listener: FdListener;
  const accepted: FdSocket[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "vl3-fd-"));
    listener = listenFdSocket(native(), join(dir, "listen.on"), (s) => accepted.push(s));
  });
  afterAll(() => {
    listener?.close();
    for (const s of accepted) s.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  async function pair(): Promise<[FdSocket, FdSocket]> {
    const before = accepted.length;
    const client = await connectFdSocket(native(), listener.path);
    await eventually(() => expect(accepted.length).toBe(before + 1), 5000);
    return [client, accepted[before]!];
  }

  it("delivers a network namespace descriptor that matches /proc/self/ns/net, and the bytes as written", async () => {
    const [client, server] = await pair();
    const netns = native().openPath("/proc/self/ns/net");
    const sent = client.sendFd(netns);
    native().close(netns); // the socket keeps its own duplicate until it is sent
    const payload = randomBytes(100);
    const received = readAll(server, payload.length);
    client.write(payload);
    await sent;
    expect((await received).equals(payload)).toBe(true);
    const fd = await server.store.wait(inodeOf("/proc/self/ns/net"), Date.now() + 5000);
    const s = fstatSync(fd, { bigint: true });
    expect({ dev: s.dev, ino: s.ino }).toEqual(inodeOf("/proc/self/ns/net"));
    native().close(fd);
    client.destroy();
  });

  it("carries several descriptors on one big write both ways, in order, 1 MiB intact", async () => {
    const [client, server] = await pair();
    const paths = ["/proc/self/ns/net", listener.path, dir];
    const fds = paths.map((p) => native().openPath(p));
    const sends = fds.map((fd) => client.sendFd(fd));
    for (const fd of fds) native().close(fd);
    const payload = randomBytes(1 << 20);
    const received = readAll(server, payload.length);
    client.write(payload);
    await Promise.all(sends);
    expect((await received).equals(payload)).toBe(true);
    for (const p of paths) {
      const fd = await server.store.wait(inodeOf(p), Date.now() + 5000);
      native().close(fd);
    }
    // The accepting side sends too (NSM's endpoints answer with a descriptor on the response).
    const back = native().openPath("/proc/self/ns/net");
    const sentBack = server.sendFd(back);
    native().close(back);
    const echoed = readAll(client, 3);
    server.write(Buffer.from("ok!"));
    await sentBack;
    expect((await echoed).toString()).toBe("ok!");
    native().close(await client.store.wait(inodeOf("/proc/self/ns/net"), Date.now() + 5000));
    client.destroy();
  });

  it("hands on chunks that stay intact while later bytes are read (views of its read slab, never reused)", async () => {
    const [client, server] = await pair();
    // Many small writes, each read on its own, across several 64 KiB slabs; readAll keeps every chunk
    // as it was handed on and joins them only at the end, so a region read into twice would show.
    const pieces = Array.from({ length: 300 }, () => randomBytes(500 + Math.floor(Math.random() * 700)));
    const total = pieces.reduce((sum, p) => sum + p.length, 0);
    const received = readAll(server, total);
    for (const p of pieces) await new Promise((resolve) => client.write(p, resolve));
    expect((await received).equals(Buffer.concat(pieces))).toBe(true);
    // And with the reader paused: what it buffered meanwhile is intact when it resumes.
    server.pause();
    const more = randomBytes(200_000);
    client.write(more);
    await eventually(() => expect(server.readableLength).toBeGreaterThan(0), 5000);
    const rest = readAll(server, more.length);
    server.resume();
    expect((await rest).equals(more)).toBe(true);
    client.destroy();
  });

  it("keeps one copy per object and closes every received descriptor with the connection", async () => {
    const [client, server] = await pair();
    const before = openFdCount();
    const netns = native().openPath("/proc/self/ns/net");
    const sends = [client.sendFd(netns), client.sendFd(netns), client.sendFd(netns)];
    native().close(netns);
    const received = readAll(server, 10);
    client.write(Buffer.alloc(10, 1));
    await Promise.all(sends);
    await received;
    expect(server.store.size).toBe(1);
    expect(openFdCount()).toBe(before + 1);
    server.destroy();
    client.destroy();
    // Both sockets and the cached descriptor are gone.
    await eventually(() => expect(openFdCount()).toBe(before - 2), 5000);
  });

  it("fails a pending send and a waiter when the connection closes", async () => {
    const [client, server] = await pair();
    const netns = native().openPath("/proc/self/ns/net");
    const unsent = client.sendFd(netns);
    native().close(netns);
    const waiting = server.store.wait({ dev: 1n, ino: 1n }, Date.now() + 60_000);
    client.destroy();
    server.destroy();
    await expect(unsent).rejects.toThrow(/connection closed/);
    await expect(waiting).rejects.toThrow(/connection closed/);
  });

  it("refuses a connect to a missing socket with its errno", async () => {
    await expect(connectFdSocket(native(), join(dir, "nobody.sock"))).rejects.toMatchObject({
      code: "ENOENT",
    });
  });
});
