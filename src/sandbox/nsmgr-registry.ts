// The sandbox nsmgr's registry side, as NSM's nsmgr has it: endpoints register through their nsmgr,
// which forwards to the registry. An endpoint that registers an inode:// url has passed its listening
// socket on the same connection (NSM's registry recvfd): the nsmgr keeps that descriptor per endpoint
// name and registers unix:///proc/<pid>/fd/<n>, the only way it dials the endpoint; the reply carries the
// inode URL back. The endpoint's network namespace came with it (the NSE offers it to its nsmgr), and is
// what the sandbox kernel forwarder opens, never a namespace name.
import { statSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";
import { type Inode, isInodeUrl, parseInodeUrl, procFdPath } from "../fd/inode-url.js";
import type { FdNative } from "../fd/native.js";
import { currentFdConnection } from "../grpc/fd-transport.js";
import {
  type NetworkServiceEndpoint,
  type NetworkServiceEndpointRegistryClient,
  type NetworkServiceEndpointRegistryServer,
  NetworkServiceEndpointRegistryService,
  type NetworkServiceRegistryClient,
  type NetworkServiceRegistryServer,
  NetworkServiceRegistryService,
} from "../grpc/gen/registry/registry.js";
import { relayedStream } from "../grpc/relay.js";
import { asServiceError } from "../grpc/status.js";
import type { PathSecurity } from "../security/path-security.js";
import { statusError } from "../util/grpc.js";
import { forwardRegistryCall } from "./registry-hop.js";

interface LocalEndpoint {
  socket: { inode: string; fd: number };
  netns?: { inode: Inode; fd: number };
  expiry?: NodeJS.Timeout;
}

/** How long a replaced endpoint socket's descriptor stays open (its /proc/<pid>/fd/<n> refusing dials). */
const RETIRE_MS = 30_000;

/** What the nsmgr holds for the endpoints that registered through it. */
export class LocalEndpoints {
  private readonly byName = new Map<string, LocalEndpoint>();
  private readonly retired = new Map<number, NodeJS.Timeout>();
  private readonly nsfsDev = statSync("/proc/self/ns/net", { bigint: true }).dev;

  constructor(
    private readonly native: FdNative,
    /** An endpoint is gone (unregistered, or its registration expired): not when it re-registers. */
    private readonly onGone: (name: string) => void = () => {},
  ) {}

  /** The endpoint's network namespace: our descriptor of it (the caller duplicates it), and the object. */
  netnsOf(name: string): { fd: number; inode: Inode } | undefined {
    return this.byName.get(name)?.netns;
  }

  /**
   * Takes the endpoint's socket (and its netns, the one nsfs object on the connection) off `conn`, to be
   * held for `name` only once the registry accepted the call (`keep`): a Register the registry refuses
   * (another identity's, for this name) must leave the endpoint's own descriptors as they were (`drop`).
   */
  async receive(
    name: string,
    url: string,
    conn: NonNullable<ReturnType<typeof currentFdConnection>>,
    deadline: number,
  ): Promise<{ url: string; keep(): void; drop(): void }> {
    const known = this.byName.get(name);
    if (known?.socket.inode === url)
      return { url: `unix://${procFdPath(known.socket.fd)}`, keep: () => {}, drop: () => {} };
    const fd = await conn.store.wait(parseInodeUrl(url), deadline);
    const netnses = conn.store.objects().filter((o) => o.dev === this.nsfsDev);
    const netns =
      netnses.length === 1
        ? { inode: netnses[0]!, fd: await conn.store.wait(netnses[0]!, deadline) }
        : undefined;
    const taken: LocalEndpoint = { socket: { inode: url, fd }, netns };
    return {
      url: `unix://${procFdPath(fd)}`,
      keep: () => {
        this.release(name, { retire: true }); // a restart under the same name: a new socket, the same endpoint
        this.byName.set(name, taken);
      },
      drop: () => this.closeEntry(taken),
    };
  }

  /** As NSM's nsmgr expires a registration that was not refreshed: its descriptors go (a dead pod's
   * namespace is then really gone, and its veths with it). */
  expireAt(name: string, when: Date | undefined): void {
    const e = this.byName.get(name);
    if (!e || !when) return;
    clearTimeout(e.expiry);
    e.expiry = setTimeout(() => this.expire(name), Math.max(0, when.getTime() - Date.now()));
    e.expiry.unref();
  }

  /** Past its expiration: gone if its socket refuses; a live endpoint whose refresh is late (a busy
   * machine) keeps its links, and is looked at again a moment later. */
  private expire(name: string): void {
    const e = this.byName.get(name);
    if (!e) return;
    try {
      this.native.close(this.native.connect(procFdPath(e.socket.fd)));
    } catch {
      this.forget(name);
      return;
    }
    e.expiry = setTimeout(() => this.expire(name), 1000);
    e.expiry.unref();
  }

  forget(name: string): void {
    if (this.release(name)) this.onGone(name);
  }

  /** `retire`: the replaced socket's descriptor stays open a while (RETIRE_MS), so that a dial by its old
   * URL, still in a caller's cache, is refused by the dead socket instead of reaching whatever would
   * take its number next. */
  private release(name: string, o: { retire?: boolean } = {}): boolean {
    const e = this.byName.get(name);
    this.byName.delete(name);
    if (e) this.closeEntry(e, o.retire);
    return e !== undefined;
  }

  private closeEntry(e: LocalEndpoint, retire = false): void {
    clearTimeout(e.expiry);
    if (retire) {
      const fd = e.socket.fd;
      const timer = setTimeout(() => {
        this.retired.delete(fd);
        this.native.close(fd);
      }, RETIRE_MS);
      timer.unref();
      this.retired.set(fd, timer);
    } else this.native.close(e.socket.fd);
    if (e.netns) this.native.close(e.netns.fd);
  }

  closeAll(): void {
    for (const name of [...this.byName.keys()]) this.release(name);
    for (const [fd, timer] of this.retired) {
      clearTimeout(timer);
      this.native.close(fd);
    }
    this.retired.clear();
  }
}

const deadlineOf = (call: grpc.ServerUnaryCall<unknown, unknown>) => {
  const d = call.getDeadline();
  const ms = d instanceof Date ? d.getTime() : Number(d);
  return Number.isFinite(ms) ? ms : Date.now() + 10_000;
};

// A refusal of our own (RequestError: its status name) keeps its status; it was answered UNKNOWN.
const fail = asServiceError;

/** `security`: path tokens on, the nsmgr a hop of each Register's and Unregister's path (registry-hop.ts). */
export function nsmgrEndpointRegistry(
  registry: NetworkServiceEndpointRegistryClient,
  local: LocalEndpoints,
  security?: PathSecurity,
): NetworkServiceEndpointRegistryServer {
  const unchanged = (url: string) => ({ url, keep: () => {}, drop: () => {} });
  /** The url the registry is given, and what to do with descriptors taken for it once it answered. */
  const forwardUrl = async (call: grpc.ServerUnaryCall<NetworkServiceEndpoint, unknown>) => {
    const nse = call.request;
    if (!isInodeUrl(nse.url)) return unchanged(nse.url);
    const conn = currentFdConnection();
    if (!conn) {
      throw statusError(
        grpc.status.INVALID_ARGUMENT,
        `url: ${nse.url} came on a connection without descriptors`,
      );
    }
    return local.receive(nse.name, nse.url, conn, deadlineOf(call)).catch((err: Error) => {
      throw statusError(grpc.status.DEADLINE_EXCEEDED, `url: ${err.message}`);
    });
  };
  const timeout = (call: grpc.ServerUnaryCall<unknown, unknown>) =>
    Math.max(1, deadlineOf(call) - Date.now());
  return {
    register: (call, cb) => {
      void (async () => {
        const { url, keep, drop } = await forwardUrl(call);
        const granted = await forwardRegistryCall(
          call,
          security,
          registry,
          registry.register,
          { ...call.request, url },
          timeout(call),
        ).catch((err: unknown) => {
          drop();
          throw err;
        });
        keep();
        local.expireAt(call.request.name, granted.expirationTime);
        cb(null, { ...granted, url: call.request.url });
      })().catch((err) => cb(fail(err)));
    },
    unregister: (call, cb) => {
      void (async () => {
        const { url, drop } = await forwardUrl(call);
        await forwardRegistryCall(
          call,
          security,
          registry,
          registry.unregister,
          { ...call.request, url },
          timeout(call),
        ).finally(drop);
        local.forget(call.request.name);
        cb(null, {});
      })().catch((err) => cb(fail(err)));
    },
    find: (call) =>
      pipe(relayedStream(registry, NetworkServiceEndpointRegistryService.find, call.request), call),
  };
}

export function nsmgrServiceRegistry(
  registry: NetworkServiceRegistryClient,
  security?: PathSecurity,
): NetworkServiceRegistryServer {
  const timeout = (call: grpc.ServerUnaryCall<unknown, unknown>) =>
    Math.max(1, deadlineOf(call) - Date.now());
  return {
    register: (call, cb) => {
      forwardRegistryCall(call, security, registry, registry.register, call.request, timeout(call)).then(
        (r) => cb(null, r),
        (e) => cb(fail(e)),
      );
    },
    unregister: (call, cb) => {
      forwardRegistryCall(call, security, registry, registry.unregister, call.request, timeout(call)).then(
        () => cb(null, {}),
        (e) => cb(fail(e)),
      );
    },
    find: (call) => pipe(relayedStream(registry, NetworkServiceRegistryService.find, call.request), call),
  };
}

/**
 * A Find (with or without watch) answered by the registry's stream, ended or cancelled together. Only
 * our own cancel is benign: a registry stream that ends with CANCELLED otherwise (its server, or a
 * remote domain's proxy behind it, went away) is a break the caller must see, or its watch would hang
 * on stale entries. The status goes out as an "error" event: grpc-js drops a destroy()'s silently.
 * Its messages pass as the registry's bytes (relay.ts): the nsmgr reads none of them.
 */
function pipe<T>(upstream: grpc.ClientReadableStream<T>, call: grpc.ServerWritableStream<unknown, T>): void {
  let cancelled = false;
  upstream.on("data", (r: T) => call.write(r));
  upstream.on("end", () => {
    if (!cancelled) call.end();
  });
  upstream.on("error", (err: grpc.ServiceError) => {
    if (cancelled) return;
    call.emit("error", statusError(err.code ?? grpc.status.UNAVAILABLE, err.details || err.message));
  });
  call.on("cancelled", () => {
    cancelled = true;
    upstream.cancel();
  });
}
