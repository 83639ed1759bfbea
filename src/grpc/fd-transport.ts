// grpc-js over fd-capable unix sockets (NSM's grpcfd convention). Server: connections accepted by the
// addon are injected into grpc-js, and each one's handlers see it as the current fd connection.
// Client: channel credentials that wrap any inner credentials (insecure, or mTLS: TLS then runs on top
// of the fd layer, as in Go) and swap grpc-js's own unix socket for an FdSocket.
import { AsyncLocalStorage } from "node:async_hooks";
import type { Socket } from "node:net";
import * as grpc from "@grpc/grpc-js";
import { type FdListener, listenFdSocket } from "../fd/listener.js";
import type { FdNative } from "../fd/native.js";
import { connectFdSocket, type FdSocket } from "../fd/socket.js";

const connectionScope = new AsyncLocalStorage<FdSocket>();

/** The fd connection the current RPC handler runs for (undefined for TCP or plain unix listeners). */
export function currentFdConnection(): FdSocket | undefined {
  return connectionScope.getStore();
}

/** Serves `server`'s services on the unix socket at `path`, fd-capable. Each connection's handlers run
 * in its scope, so currentFdConnection() answers: the HTTP/2 session is created inside that scope and
 * the socket's readiness events (which drive HTTP/2 and TLS parsing, and so the handlers) enter it. */
export function serveFdSocket(
  server: grpc.Server,
  native: FdNative,
  path: string,
  credentials: grpc.ServerCredentials,
  onError?: (err: Error) => void,
): FdListener & { connections: Set<FdSocket> } {
  const injector = server.createConnectionInjector(credentials);
  const connections = new Set<FdSocket>();
  const listener = listenFdSocket(
    native,
    path,
    (socket) => {
      connections.add(socket);
      socket.once("close", () => connections.delete(socket));
      // A peer that resets must not take the process down; grpc-js sees the close.
      socket.on("error", () => {});
      socket.scope = (fn) => connectionScope.run(socket, fn);
      connectionScope.run(socket, () => injector.injectConnection(socket));
    },
    onError,
  );
  return {
    path,
    connections,
    close: () => {
      listener.close();
      injector.destroy();
      for (const c of connections) c.destroy();
    },
  };
}

/** The unix path of a grpc-js target (unix:/p, unix:///p, unix-abstract is not a file). */
function unixTargetPath(target: { scheme?: string; path: string }): string {
  if (target.scheme !== "unix") throw new Error(`fd passing needs a unix:// target, not ${target.scheme}:`);
  return target.path.startsWith("/") ? target.path : `/${target.path}`;
}

/**
 * Channel credentials for a unix target whose connections carry descriptors. grpc-js dials its own
 * net.Socket first (its connector API hands one over); it is closed unused and an FdSocket to the same
 * path takes its place, under whatever the inner credentials put on top.
 */
export class FdChannelCredentials extends grpc.ChannelCredentials {
  private connection?: FdSocket;

  constructor(
    private readonly inner: grpc.ChannelCredentials,
    private readonly native: FdNative,
  ) {
    super();
  }

  /** The live connection of the channel built with these credentials, to queue descriptors on
   * before a call (NSM: "before the RPC's first write"); undefined until connected. */
  current(): FdSocket | undefined {
    return this.connection && !this.connection.destroyed ? this.connection : undefined;
  }

  override compose(callCredentials: grpc.CallCredentials): grpc.ChannelCredentials {
    return new FdChannelCredentials(this.inner.compose(callCredentials), this.native);
  }

  _isSecure(): boolean {
    return this.inner._isSecure();
  }

  _equals(other: grpc.ChannelCredentials): boolean {
    return other === this;
  }

  _createSecureConnector(...args: Parameters<grpc.ChannelCredentials["_createSecureConnector"]>) {
    const [target] = args;
    const path = unixTargetPath(target);
    const inner = this.inner._createSecureConnector(...args);
    return {
      connect: async (socket: Socket) => {
        socket.destroy();
        const fdSocket = await connectFdSocket(this.native, path);
        fdSocket.on("error", () => {}); // grpc-js learns of it from the session's close
        this.connection = fdSocket;
        return inner.connect(fdSocket as unknown as Socket);
      },
      waitForReady: () => inner.waitForReady(),
      getCallCredentials: () => inner.getCallCredentials(),
      destroy: () => inner.destroy(),
    };
  }
}
