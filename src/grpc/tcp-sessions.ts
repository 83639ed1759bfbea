// A Carrier (transport.ts) that accepts TCP connections itself, so that a server can tell whether the
// connection a call came on has ended: a client process that died (its sockets closed by the kernel,
// or its session dropped by keepalive) rather than one that cancelled a call, which grpc-js reports
// alike. The socket stays ours: grpc-js is handed one end of an in-process pair, its bytes copied to
// and fro, so a peer's FIN is seen here at once (over a handed-over socket the TLS layer kept it
// half-open, unseen, until keepalive gave up). Handlers learn their connection from `currentTcpConnection()`.
import { AsyncLocalStorage } from "node:async_hooks";
import { createServer, type Server, type Socket } from "node:net";
import { duplexPair } from "node:stream";
import type * as grpc from "@grpc/grpc-js";
import type { Carrier, CarrierListener } from "./transport.js";
import type { GrpcUrl } from "./url.js";

const scope = new AsyncLocalStorage<Socket>();

/** The accepted TCP connection the current RPC handler runs for (undefined if not carried here). */
export function currentTcpConnection(): Socket | undefined {
  return scope.getStore();
}

export class TcpSessions implements Carrier {
  handles(url: GrpcUrl): boolean {
    return url.kind === "tcp";
  }

  /** Clients keep grpc-js's own sockets: only the server side is carried. */
  channel(credentials: grpc.ChannelCredentials): grpc.ChannelCredentials {
    return credentials;
  }

  listen(url: GrpcUrl, injector: grpc.ConnectionInjector): Promise<CarrierListener> {
    if (url.kind !== "tcp") throw new Error("TcpSessions carries TCP only");
    const open = new Set<Socket>();
    const server: Server = createServer((socket) => {
      open.add(socket);
      socket.on("error", () => {}); // a reset ends it like a close
      const [ours, theirs] = duplexPair();
      // Bytes in enter the connection's scope, so that the HTTP/2 session and the handlers it runs see it.
      socket.on("data", (chunk) => {
        if (!scope.run(socket, () => ours.write(chunk))) {
          socket.pause();
          ours.once("drain", () => socket.resume());
        }
      });
      ours.on("data", (chunk) => {
        if (!socket.write(chunk)) {
          ours.pause();
          socket.once("drain", () => ours.resume());
        }
      });
      // The peer finished or vanished: grpc-js's side goes at once, cancelling its calls.
      socket.once("close", () => {
        open.delete(socket);
        theirs.destroy();
      });
      socket.once("end", () => socket.destroy());
      ours.once("end", () => socket.end());
      ours.once("close", () => socket.destroy());
      ours.on("error", () => {});
      theirs.on("error", () => {});
      scope.run(socket, () => injector.injectConnection(theirs as unknown as Socket));
    });
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(url.port, url.host, () => {
        server.off("error", reject);
        const address = server.address();
        const port = typeof address === "object" && address ? address.port : url.port;
        resolve({
          url: { ...url, port },
          close: () => server.close(),
          destroy: async () => {
            injector.destroy();
            for (const s of open) s.destroy();
          },
        });
      });
    });
  }
}
