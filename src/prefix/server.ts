// Our prefix server (`vl3-nse prefix-server`): the NSM v1 ipam.IPAM/ManagePrefixes API, wire-compatible
// with NSM's cmd-ipam-vl3, with two differences that keep prefixes stable: allocations belong to the
// endpoint identity sent in metadata (not to the stream), and they survive a restart in a state file.
// Under mTLS a claim is tied to who made it: the identity is kept under the caller's SPIFFE ID scope
// (its ID without the last segment: its namespace with NSM's SPIRE IDs, stable across pod restarts),
// so a caller of another scope naming the same identity gets a claim of its own, never that prefix.
import { setTimeout as sleep } from "node:timers/promises";
import * as grpc from "@grpc/grpc-js";
import { type IPAMServer, IPAMService, type PrefixRequest, Type } from "../grpc/gen/ipam/ipam.js";
import { peerSpiffeId } from "../grpc/peer-identity.js";
import { restartableServer, type Services } from "../grpc/restartable.js";
import { defaultTransport, type Transport } from "../grpc/transport.js";
import { type GrpcUrl, grpcTarget, toGrpcUrl } from "../grpc/url.js";
import { CidrError } from "../ipam/cidr.js";
import { PoolExhaustedError } from "../ipam/errors.js";
import { type Logger, silentLogger } from "../log.js";
import { PREFIX_IDENTITY_METADATA } from "../registry/labels.js";
import { statusError } from "../util/grpc.js";
import { type PrefixAllocation, PrefixBook, type PrefixOwner } from "./book.js";

export interface PrefixServerOptions {
  /** grpc target: "127.0.0.1:0" (any free port), "0.0.0.0:5006", "tcp://0.0.0.0:5006" or "unix:///path". */
  listenOn: GrpcUrl | string;
  pool: string;
  prefixLen: number;
  /** Where allocations are kept across restarts; without it they live in memory only. */
  stateFile?: string;
  /** Never handed out (node or service CIDRs); also echoed in every response's exclude_prefixes. */
  exclude?: string[];
  log?: Logger;
  /** How the server is bound (credentials); default plain text. */
  transport?: Transport;
}

export interface PrefixServer {
  readonly url: string;
  stop(): Promise<void>;
  /** Stops and starts on the same address, reloading the state file (a pod restart). */
  restart(options?: { downMs?: number }): Promise<void>;
  allocations(): PrefixAllocation[];
}

export async function startPrefixServer(options: PrefixServerOptions): Promise<PrefixServer> {
  const log = options.log ?? silentLogger();
  const transport = options.transport ?? defaultTransport;
  const exclude = options.exclude ?? [];
  const load = () => new PrefixBook(options.pool, options.prefixLen, exclude, options.stateFile);
  let book = load();
  let streams = 0;
  const identities = new Map<string, number>();

  const impl: IPAMServer = {
    managePrefixes(call) {
      const owner = ownerOf(call.metadata, ++streams, peerSpiffeId(call));
      // Logs name the endpoint as it named itself; the scope its claim is kept under is said apart.
      const who =
        "identity" in owner
          ? owner.identity.slice(owner.identity.indexOf("#") + 1)
          : `anonymous stream ${owner.stream}`;
      const current = book;
      if ("identity" in owner) {
        const n = (identities.get(owner.identity) ?? 0) + 1;
        identities.set(owner.identity, n);
        // One identity per endpoint is the rule; two live streams of one usually mean a reconnect
        // racing its own dead stream, but could be two endpoints sharing a name.
        if (n > 1) log.warn({ identity: owner.identity, streams: n }, "identity has several streams");
      }
      let done = false;
      const finish = (err?: Error) => {
        if (done) return;
        done = true;
        if (current !== book) {
          // A stream of the server before a restart: its bookkeeping is gone already.
        } else if ("identity" in owner) {
          const n = (identities.get(owner.identity) ?? 1) - 1;
          if (n > 0) identities.set(owner.identity, n);
          else identities.delete(owner.identity);
        } else {
          current.releaseAll(owner); // as in NSM: an anonymous stream's prefix ends with the stream
        }
        if (err) call.emit("error", err);
        else if (!call.cancelled) call.end();
      };
      const handle = (req: PrefixRequest) => {
        if (req.type === Type.ALLOCATE) {
          const prefix = current.allocate(owner, req.prefix, req.excludePrefixes);
          log.info({ who, prefix, requested: req.prefix || undefined }, "prefix allocated");
          // Answered once the claim is on disk: a restart must never hand out a prefix we gave.
          current.persisted().then(
            () => {
              if (!done) call.write({ prefix, excludePrefixes: [...req.excludePrefixes, ...exclude] });
            },
            (err: unknown) => {
              log.warn({ who, err: (err as Error).message }, "prefix state could not be written");
              finish(toStatus(err));
            },
          );
        } else if (req.type === Type.DELETE) {
          const freed = current.release(owner, req.prefix);
          log.info(
            { who, prefix: req.prefix, freed },
            freed ? "prefix released" : "release of a prefix not held",
          );
        } else {
          throw statusError(
            grpc.status.INVALID_ARGUMENT,
            `type: ${Type[req.type] ?? req.type} is not ALLOCATE or DELETE`,
          );
        }
      };
      call.on("data", (req: PrefixRequest) => {
        if (done) return;
        try {
          handle(req);
        } catch (err) {
          log.warn({ who, err: (err as Error).message }, "prefix request failed");
          finish(toStatus(err));
        }
      });
      call.on("end", () => finish());
      call.on("cancelled", () => finish());
      call.on("error", () => finish());
    },
  };

  const server = restartableServer(
    transport,
    grpcTarget(toGrpcUrl(options.listenOn)),
    [[IPAMService, impl]] as Services,
    {
      log,
      name: "prefix server",
      fields: { pool: options.pool, prefixLen: options.prefixLen },
    },
  );
  await server.start();

  return {
    get url() {
      return server.url;
    },
    async stop() {
      void server.stop();
      await book.flushed();
    },
    async restart(restartOptions = {}) {
      void server.stop();
      identities.clear();
      if (restartOptions.downMs) await sleep(restartOptions.downMs);
      await book.flushed();
      book = load();
      await server.start();
    },
    allocations: () => book.list(),
  };
}

function ownerOf(metadata: grpc.Metadata, stream: number, spiffeId?: string): PrefixOwner {
  const value = metadata.get(PREFIX_IDENTITY_METADATA)[0];
  const identity = typeof value === "string" ? value.trim() : "";
  if (!identity) return { stream };
  return { identity: spiffeId ? `${claimScope(spiffeId)}#${identity}` : identity };
}

/** Whose claims a SPIFFE ID shares: its ID without the last path segment ("#" never occurs in an ID). */
export function claimScope(spiffeId: string): string {
  const cut = spiffeId.lastIndexOf("/");
  return cut > "spiffe://".length ? spiffeId.slice(0, cut) : spiffeId;
}

function toStatus(err: unknown): Error {
  if (typeof (err as { code?: unknown }).code === "number") return err as Error;
  if (err instanceof PoolExhaustedError) return statusError(grpc.status.RESOURCE_EXHAUSTED, err.message);
  if (err instanceof CidrError) return statusError(grpc.status.INVALID_ARGUMENT, err.message);
  return statusError(grpc.status.INTERNAL, (err as Error).message ?? String(err));
}
