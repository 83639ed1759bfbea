// grpc-js over fd-capable unix sockets (NSM's grpcfd convention), as a Carrier of src/grpc/transport.ts.
// Server: connections accepted by the addon are injected into grpc-js and their handlers run in the
// connection's scope (currentFdConnection). Client: credentials that wrap the provider's (insecure, or
// mTLS: TLS then runs on top of the fd layer, as in Go) and swap grpc-js's unix socket for an FdSocket.
import { AsyncLocalStorage } from "node:async_hooks";
import type { Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import * as grpc from "@grpc/grpc-js";
import { inodeUrl } from "../fd/inode-url.js";
import { type FdListener, listenFdSocket } from "../fd/listener.js";
import { type FdNative, fdNative } from "../fd/native.js";
import { connectFdSocket, FdSocket, fdIdentity } from "../fd/socket.js";
import type { Logger } from "../log.js";
import { type Dial, FD_DIAL_OPTION, installFdDial } from "./fd-dial.js";
import type { Carrier, CarrierListener, Transport } from "./transport.js";
import type { GrpcUrl } from "./url.js";

const connectionScope = new AsyncLocalStorage<FdSocket>();

/** The fd connection the current RPC handler runs for (undefined over TCP or without the addon). */
export function currentFdConnection(): FdSocket | undefined {
  return connectionScope.getStore();
}

/** Serves on the unix socket at `path` through `injector`. The HTTP/2 session is created inside the
 * connection's scope and the socket's readiness events (which drive HTTP/2 and TLS parsing, and so the
 * handlers) enter it, so currentFdConnection() answers in handlers. */
export function serveFdSocket(
  native: FdNative,
  path: string,
  injector: grpc.ConnectionInjector,
  onError?: (err: Error) => void,
): FdListener & { connections: Set<FdSocket>; destroy(graceMs?: number): Promise<void> } {
  const connections = new Set<FdSocket>();
  const listener = listenFdSocket(
    native,
    path,
    (socket) => {
      connections.add(socket);
      socket.once("close", () => connections.delete(socket));
      socket.on("error", () => {}); // a peer that resets: grpc-js sees the close
      socket.scope = (fn) => connectionScope.run(socket, fn);
      connectionScope.run(socket, () => injector.injectConnection(socket));
    },
    onError,
  );
  return {
    path,
    connections,
    close: () => listener.close(),
    // grpc-js's shutdown may call back before an injected session has flushed its last frames (its
    // GOAWAY, a stream's final status); each connection gets a moment to close by itself, then goes.
    destroy: async (graceMs = 1000) => {
      listener.close();
      const closed = [...connections].map((c) => new Promise((resolve) => c.once("close", resolve)));
      await Promise.race([Promise.all(closed), sleep(graceMs)]);
      injector.destroy();
      for (const c of connections) c.destroy();
    },
  };
}

/**
 * Client credentials for a unix target whose connections carry descriptors: an FdSocket to the path,
 * under whatever the inner credentials put on top. grpc-js dials it through FD_DIAL_OPTION (fd-dial.ts);
 * where that option is missing, grpc-js's own net.Socket is closed unused and an FdSocket takes its place.
 */
export class FdChannelCredentials extends grpc.ChannelCredentials {
  constructor(
    private readonly inner: grpc.ChannelCredentials,
    private readonly native: FdNative,
    private readonly path: string,
    private readonly connected: (socket: FdSocket) => void = () => {},
  ) {
    super();
  }

  override compose(callCredentials: grpc.CallCredentials): grpc.ChannelCredentials {
    return new FdChannelCredentials(
      this.inner.compose(callCredentials),
      this.native,
      this.path,
      this.connected,
    );
  }

  _isSecure(): boolean {
    return this.inner._isSecure();
  }

  _equals(other: grpc.ChannelCredentials): boolean {
    return other === this;
  }

  _createSecureConnector(...args: Parameters<grpc.ChannelCredentials["_createSecureConnector"]>) {
    const inner = this.inner._createSecureConnector(...args);
    return {
      connect: async (socket: Socket | FdSocket) => {
        // Ours when grpc-js dialled through FD_DIAL_OPTION; else grpc-js's own, closed unused.
        if (!(socket instanceof FdSocket)) socket.destroy();
        const fdSocket = socket instanceof FdSocket ? socket : await connectFdSocket(this.native, this.path);
        fdSocket.on("error", () => {}); // grpc-js learns of it from the session's close
        this.connected(fdSocket);
        return inner.connect(fdSocket as unknown as Socket);
      },
      waitForReady: () => inner.waitForReady(),
      getCallCredentials: () => inner.getCallCredentials(),
      destroy: () => inner.destroy(),
    };
  }
}

/**
 * The carrier for unix:// URLs. Besides carrying gRPC it sends, as NSM's clients do, descriptors to a
 * target: `offer` keeps a duplicate and sends it on every connection to that target, those open now
 * and every later one (a reconnect starts with an empty cache on the peer's side), until withdrawn.
 */
export class FdCarrier implements Carrier {
  private readonly clients = new Map<string, Set<FdSocket>>();
  private readonly offered = new Map<string, Map<number, number>>();
  private nextOffer = 0;

  /** `log`: at debug, the descriptors a closed connection could not take (nothing is lost by it). */
  constructor(
    readonly native: FdNative,
    readonly log?: Logger,
  ) {}

  handles(url: GrpcUrl): boolean {
    return url.kind === "unix";
  }

  /** grpc-js dials an FdSocket itself (one connection per dial, fd-dial.ts). */
  channelOptions(): grpc.ChannelOptions {
    return installFdDial() ? { [FD_DIAL_OPTION]: this.dial } : {};
  }

  private readonly dial: Dial = async (address) => {
    if (!address.path) throw new Error("fd transport: not a unix socket address");
    return connectFdSocket(this.native, address.path);
  };

  channel(credentials: grpc.ChannelCredentials, url: GrpcUrl): grpc.ChannelCredentials {
    const path = (url as { path: string }).path;
    return new FdChannelCredentials(credentials, this.native, path, (socket) => this.connected(path, socket));
  }

  async listen(url: GrpcUrl, injector: grpc.ConnectionInjector): Promise<CarrierListener> {
    return serveFdSocket(this.native, (url as { path: string }).path, injector);
  }

  /** Sends `fd` (a duplicate; the caller keeps its own) on every connection to `url`, now and later.
   * Returns the withdrawal. */
  offer(url: GrpcUrl, fd: number): () => void {
    if (url.kind !== "unix") return () => {};
    const id = this.nextOffer++;
    const dup = this.native.dup(fd);
    const byId = this.offered.get(url.path) ?? new Map<number, number>();
    this.offered.set(url.path, byId);
    byId.set(id, dup);
    for (const socket of this.clients.get(url.path) ?? []) void socket.sendFd(dup).catch(notSent(this.log));
    return () => {
      if (!byId.delete(id)) return;
      this.native.close(dup);
      if (byId.size === 0) this.offered.delete(url.path);
    };
  }

  /** NSM's client-side sendfd for a file: offers it (O_PATH) to `target` and returns its inode URL,
   * the name that travels in messages instead of the path. */
  offerFile(target: GrpcUrl, path: string): { url: string; withdraw(): void } {
    const fd = this.native.openPath(path);
    try {
      return { url: inodeUrl(fdIdentity(fd)), withdraw: this.offer(target, fd) };
    } finally {
      this.native.close(fd);
    }
  }

  /** Open client connections to `url`, with the descriptors each received (its store). */
  connectionsTo(url: GrpcUrl): FdSocket[] {
    return url.kind === "unix" ? [...(this.clients.get(url.path) ?? [])] : [];
  }

  private connected(path: string, socket: FdSocket): void {
    const set = this.clients.get(path) ?? new Set<FdSocket>();
    this.clients.set(path, set);
    set.add(socket);
    socket.once("close", () => {
      set.delete(socket);
      if (set.size === 0 && this.clients.get(path) === set) this.clients.delete(path);
    });
    // Queued before grpc-js writes its preface, so they ride on the connection's first bytes.
    for (const dup of this.offered.get(path)?.values() ?? [])
      void socket.sendFd(dup).catch(notSent(this.log));
  }
}

/** NSM's "SendFilename": opens `path` with O_PATH (netns files and socket files alike), queues it on the
 * current call's connection and returns its inode URL; undefined outside an fd connection. */
export function sendFileOnCurrentConnection(
  native: FdNative,
  log?: Logger,
): (path: string) => string | undefined {
  return (path) => {
    const conn = currentFdConnection();
    if (!conn) return undefined;
    const fd = native.openPath(path);
    try {
      const url = inodeUrl(fdIdentity(fd));
      // A closed connection: the caller's RPC fails anyway.
      void conn
        .sendFd(fd)
        .catch((err) => log?.debug({ err }, "descriptor not sent: the call's connection closed"));
      return url;
    } finally {
      native.close(fd);
    }
  };
}

/** An offered descriptor a connection closed before taking: the next connection to the target is sent
 * every offer again (`connected`), so it is logged at debug and nothing more. */
const notSent = (log?: Logger) => (err: unknown) =>
  log?.debug({ err }, "offered descriptor not sent: the connection closed; the next one gets it");

/** `transport` with an FdCarrier for unix URLs when `enabled` and the addon is here (logged where not). */
export function withFdPassing(
  transport: Transport,
  enabled: boolean,
  log?: Logger,
): { transport: Transport; carrier?: FdCarrier } {
  if (!enabled) return { transport };
  const fd = fdNative();
  if (!fd.available) {
    log?.info({ reason: fd.reason }, "no descriptor passing over unix sockets");
    return { transport };
  }
  const carrier = new FdCarrier(fd.native, log);
  return { transport: transport.withCarriers(carrier), carrier };
}
