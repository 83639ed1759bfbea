// grpc-js over fd-capable unix sockets: a real client and server, plain HTTP/2 and TLS on top of the fd
// layer; each handler knows its connection and answers with a descriptor on the response, the client
// queues one before its call, and both arrive with the bytes of that exchange.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inodeUrl, parseInodeUrl } from "../../../src/fd/inode-url.js";
import { currentFdConnection, FdChannelCredentials, serveFdSocket } from "../../../src/grpc/fd-transport.js";
import {
  HealthClient,
  type HealthServer,
  HealthService,
} from "../../../src/grpc/gen/grpc/health/v1/health.js";
import { unary } from "../../../src/util/grpc.js";
import { fdAvailable, fdSkipReason, inodeOf, native } from "../../support/fd/native.js";

const NETNS = "/proc/self/ns/net";

/** Answers Check with the inode URL of what the caller sent (service = an inode URL), and passes our
 * netns back on the response, as NSM's sendfd server does. */
function fdHealth(): HealthServer {
  return {
    check: (call, cb) => {
      const conn = currentFdConnection();
      if (!conn) return cb({ code: grpc.status.FAILED_PRECONDITION, details: "no fd connection" });
      conn.store.wait(parseInodeUrl(call.request.service), Date.now() + 5000).then(
        (fd) => {
          native().close(fd);
          const netns = native().openPath(NETNS);
          void conn.sendFd(netns);
          native().close(netns);
          cb(null, { status: 1 });
        },
        (err: Error) => cb({ code: grpc.status.DEADLINE_EXCEEDED, details: err.message }),
      );
    },
    watch: (call) => call.end(),
  };
}

describe.skipIf(!fdAvailable)(`grpc-js over fd-capable unix sockets${fdSkipReason}`, () => {
  let dir: string;
  const servers: Array<{ close(): void }> = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "vl3-fdgrpc-"));
  });
  afterAll(() => {
    for (const s of servers) s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function roundTrip(
    serverCreds: grpc.ServerCredentials,
    inner: grpc.ChannelCredentials,
    name: string,
  ) {
    const server = new grpc.Server();
    server.addService(HealthService, fdHealth());
    const path = join(dir, `${name}.sock`);
    const listener = serveFdSocket(server, native(), path, serverCreds);
    servers.push({ close: () => (listener.close(), server.forceShutdown()) });
    const creds = new FdChannelCredentials(inner, native());
    const client = new HealthClient(`unix://${path}`, creds, {
      "grpc.ssl_target_name_override": "localhost",
    });
    try {
      await new Promise<void>((resolve, reject) =>
        client.waitForReady(Date.now() + 5000, (err) => (err ? reject(err) : resolve())),
      );
      // Queued before the call, on the connection that carries it.
      const conn = creds.current()!;
      const own = native().openPath(path);
      void conn.sendFd(own);
      native().close(own);
      const res = await unary(client, client.check, { service: inodeUrl(inodeOf(path)) }, 5000);
      expect(res.status).toBe(1);
      const fd = await conn.store.wait(inodeOf(NETNS), Date.now() + 5000);
      native().close(fd);
      expect(listener.connections.size).toBeGreaterThanOrEqual(1);
    } finally {
      client.close();
    }
  }

  it("plain HTTP/2 (NSM_INSECURE): descriptors both ways on one RPC", async () => {
    await roundTrip(grpc.ServerCredentials.createInsecure(), grpc.credentials.createInsecure(), "plain");
  });

  it("TLS on top of the fd layer: the descriptors still ride below it", async () => {
    const certs = join(__dirname, "../../support/fd/tls");
    const ca = readFileSync(join(certs, "ca.pem"));
    const key = readFileSync(join(certs, "localhost.key"));
    const cert = readFileSync(join(certs, "localhost.pem"));
    await roundTrip(
      grpc.ServerCredentials.createSsl(ca, [{ private_key: key, cert_chain: cert }], true),
      grpc.credentials.createSsl(ca, key, cert),
      "tls",
    );
  });
});
