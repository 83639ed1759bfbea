// Small grpc-js helpers shared by the registry and prefix clients and servers.
import { setTimeout as sleep } from "node:timers/promises";
import * as grpc from "@grpc/grpc-js";
import type { BackoffOptions } from "./backoff.js";

/** A grpc-js target from "host:port", "tcp://host:port" or "unix:///path". */
export function normalizeTarget(target: string): string {
  return target.startsWith("tcp://") ? target.slice("tcp://".length) : target;
}

/**
 * Binds `server` to `target` and starts it; resolves with the address to dial (the real port when
 * the target asked for port 0). A restart binds the address its predecessor just released, which
 * the kernel may briefly still hold, so binding is retried a bounded number of times.
 */
export async function bindServer(server: grpc.Server, target: string, attempts = 40): Promise<string> {
  const t = normalizeTarget(target);
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      const port = await new Promise<number>((resolve, reject) => {
        server.bindAsync(t, grpc.ServerCredentials.createInsecure(), (err, p) =>
          err ? reject(err) : resolve(p),
        );
      });
      if (t.startsWith("unix:")) return t;
      const host = t.slice(0, t.lastIndexOf(":"));
      return `${host}:${port}`;
    } catch (err) {
      lastError = err;
      await sleep(50);
    }
  }
  throw new Error(`cannot listen on ${target}: ${(lastError as Error)?.message ?? lastError}`);
}

/** Channel options that make grpc-js's own reconnect timing follow the caller's backoff. */
export function channelOptions(backoff: BackoffOptions): grpc.ChannelOptions {
  return {
    "grpc.initial_reconnect_backoff_ms": Math.max(1, backoff.initialMs),
    "grpc.max_reconnect_backoff_ms": Math.max(1, backoff.maxMs),
  };
}

type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: grpc.Metadata,
  options: Partial<grpc.CallOptions>,
  callback: (err: grpc.ServiceError | null, res: Res) => void,
) => grpc.ClientUnaryCall;

/** Calls a unary method of a generated client as a promise, with a deadline. */
export function unary<Req, Res>(
  client: grpc.Client,
  method: UnaryMethod<Req, Res>,
  request: Req,
  timeoutMs: number,
  metadata = new grpc.Metadata(),
): Promise<Res> {
  return new Promise((resolve, reject) => {
    method.call(client, request, metadata, { deadline: Date.now() + timeoutMs }, (err, res) =>
      err ? reject(err) : resolve(res),
    );
  });
}

/** A short description of a gRPC error for logs and error messages. */
export function describeError(err: unknown): string {
  const e = err as Partial<grpc.ServiceError>;
  if (typeof e?.code === "number") return `${grpc.status[e.code] ?? e.code}: ${e.details ?? e.message}`;
  return err instanceof Error ? err.message : String(err);
}

/** A gRPC status error for a server handler to return. */
export function statusError(code: grpc.status, details: string): Partial<grpc.StatusObject> & Error {
  return Object.assign(new Error(details), { code, details });
}
