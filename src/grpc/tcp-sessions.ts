// A Carrier (transport.ts) that accepts TCP connections itself and hands them to grpc-js, so that a
// server can tell whether the connection a call came on has ended: a client process that died (its
// sockets closed by the kernel, or its session dropped by keepalive) rather than one that cancelled a
// call. grpc-js reports both as the same "cancelled"; the sandbox nsmgr needs to tell them apart.
import { createServer, type Server, type Socket } from "node:net";
import type * as grpc from "@grpc/grpc-js";
import type { Carrier, CarrierListener } from "./transport.js";
import type { GrpcUrl } from "./url.js";

/** How long a closed connection is still known, for calls whose "cancelled" comes after its "close". */
const KEEP_CLOSED_MS = 5000;

/** A connection that ended: the peer closed or reset it, or it was destroyed (keepalive timeout). */
export const connectionEnded = (socket: { destroyed: boolean; readableEnded: boolean }): boolean =>
  socket.destroyed || socket.readableEnded;

export class TcpSessions implements Carrier {
  private readonly byPeer = new Map<string, Socket>();

  handles(url: GrpcUrl): boolean {
    return url.kind === "tcp";
  }

  /** Clients keep grpc-js's own sockets: only the server side is carried. */
  channel(credentials: grpc.ChannelCredentials): grpc.ChannelCredentials {
    return credentials;
  }

  /** The connection a call came on, by the call's `getPeer()` ("address:port"); undefined if unknown. */
  connectionOf(peer: string): Socket | undefined {
    return this.byPeer.get(peer);
  }

  listen(url: GrpcUrl, injector: grpc.ConnectionInjector): Promise<CarrierListener> {
    if (url.kind !== "tcp") throw new Error("TcpSessions carries TCP only");
    const open = new Set<Socket>();
    const server: Server = createServer((socket) => {
      // grpc-js's getPeer(): IPv6 addresses in brackets.
      const host = socket.remoteAddress?.includes(":") ? `[${socket.remoteAddress}]` : socket.remoteAddress;
      const peer = `${host}:${socket.remotePort}`;
      this.byPeer.set(peer, socket);
      open.add(socket);
      socket.on("error", () => {}); // a reset: grpc-js sees the close
      socket.once("close", () => {
        open.delete(socket);
        setTimeout(() => {
          if (this.byPeer.get(peer) === socket) this.byPeer.delete(peer);
        }, KEEP_CLOSED_MS).unref();
      });
      injector.injectConnection(socket);
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
