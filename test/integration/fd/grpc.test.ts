// grpc-js over fd-capable unix sockets through the Transport and its FdCarrier: a real client and server,
// plain HTTP/2 and TLS on top of the fd layer. The client offers a descriptor before the channel exists
// (it rides on the connection's first bytes); the handler knows its connection, waits for it, and answers
// with a descriptor of its own on the response, as NSM's sendfd server does. A dial opens one connection.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inodeUrl, parseInodeUrl } from "../../../src/fd/inode-url.js";
import { listenFdSocket } from "../../../src/fd/listener.js";
import { currentFdConnection, FdCarrier } from "../../../src/grpc/fd-transport.js";
import {
  HealthClient,
  type HealthServer,
  HealthService,
} from "../../../src/grpc/gen/grpc/health/v1/health.js";
import { type CredentialsProvider, insecureCredentials, Transport } from "../../../src/grpc/transport.js";
import { unary } from "../../../src/util/grpc.js";
import { fdAvailable, fdSkipReason, inodeOf, native } from "../../support/fd/native.js";

const NETNS = "/proc/self/ns/net";

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
  const stops: Array<() => void> = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "vl3-fdgrpc-"));
  });
  afterAll(() => {
    for (const stop of stops) stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function roundTrip(credentials: CredentialsProvider, name: string) {
    const carrier = new FdCarrier(native());
    const transport = new Transport({
      credentials,
      carriers: [carrier],
      channelOptions: { "grpc.ssl_target_name_override": "localhost" },
    });
    const server = transport.server();
    server.addService(HealthService, fdHealth());
    const url = { kind: "unix" as const, path: join(dir, `${name}.sock`) };
    await transport.bind(server, url);
    stops.push(() => void transport.shutdown(server, { force: true }));
    const own = native().openPath(url.path);
    const withdraw = carrier.offer(url, own);
    native().close(own);
    const client = transport.client(HealthClient, url);
    try {
      const res = await unary(client, client.check, { service: inodeUrl(inodeOf(url.path)) }, 5000);
      expect(res.status).toBe(1);
      const [conn] = carrier.connectionsTo(url);
      const fd = await conn!.store.wait(inodeOf(NETNS), Date.now() + 5000);
      native().close(fd);
    } finally {
      withdraw();
      client.close();
    }
  }

  it("plain HTTP/2 (NSM_INSECURE): descriptors both ways", async () => {
    await roundTrip(insecureCredentials, "plain");
  });

  it("TLS on top of the fd layer: the descriptors still ride below it", async () => {
    const certs = join(import.meta.dirname, "../../support/fd/tls");
    const ca = readFileSync(join(certs, "ca.pem"));
    const key = readFileSync(join(certs, "localhost.key"));
    const cert = readFileSync(join(certs, "localhost.pem"));
    const tls: CredentialsProvider = {
      name: "test-tls",
      channel: () => grpc.credentials.createSsl(ca, key, cert),
      server: () => grpc.ServerCredentials.createSsl(ca, [{ private_key: key, cert_chain: cert }], true),
    };
    await roundTrip(tls, "tls");
  });

  it("one connection per dial: grpc-js opens no socket of its own beside the FdSocket", async () => {
    const server = new grpc.Server();
    server.addService(HealthService, {
      check: (_call, cb) => cb(null, { status: 1 }),
      watch: (call) => call.end(),
    } as HealthServer);
    const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
    let accepted = 0;
    const path = join(dir, "count.sock");
    const listener = listenFdSocket(native(), path, (socket) => {
      accepted++;
      injector.injectConnection(socket);
    });
    stops.push(() => {
      listener.close();
      injector.destroy();
    });
    const client = new Transport({ carriers: [new FdCarrier(native())] }).client(
      HealthClient,
      `unix://${path}`,
    );
    try {
      for (let i = 0; i < 3; i++)
        expect((await unary(client, client.check, { service: "" }, 5000)).status).toBe(1);
      // Answered on the first connection, so any second one was dialled before: it is accepted by now.
      expect(accepted).toBe(1);
    } finally {
      client.close();
    }
  });
});
