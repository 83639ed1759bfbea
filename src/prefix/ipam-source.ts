// A prefix from an NSM ipam.IPAM/ManagePrefixes server (NSM's cmd-ipam-vl3 or our prefix server):
// ALLOCATE asks for the prefix held before, so a redial after any break keeps it when it can.
import * as grpc from "@grpc/grpc-js";
import { IPAMClient, type PrefixRequest, type PrefixResponse, Type } from "../grpc/gen/ipam/ipam.js";
import { defaultTransport, type Transport } from "../grpc/transport.js";
import { type GrpcUrl, grpcTarget, toGrpcUrl } from "../grpc/url.js";
import { parseCidr } from "../ipam/cidr.js";
import type { Logger } from "../log.js";
import { PREFIX_IDENTITY_METADATA } from "../registry/labels.js";
import { Backoff, type BackoffOptions, DEFAULT_BACKOFF } from "../util/backoff.js";
import { describeError } from "../util/grpc.js";
import type { PrefixIdentity, PrefixSource } from "./types.js";

export interface IpamPrefixSourceOptions {
  target: GrpcUrl | string;
  identity: PrefixIdentity;
  log: Logger;
  backoff?: BackoffOptions;
  /** A stream that answers no ALLOCATE within this long is redialled (default 5 s). */
  timeoutMs?: number;
  /** Give up `start()` after this long without a prefix (default: keep trying). */
  startTimeoutMs?: number;
  /** How the prefix server is dialled (credentials); default plain text. */
  transport?: Transport;
}

type Stream = grpc.ClientDuplexStream<PrefixRequest, PrefixResponse>;

/** Answers that retrying will not change, as long as no prefix is held yet. */
const FATAL = new Set([
  grpc.status.INVALID_ARGUMENT,
  grpc.status.UNIMPLEMENTED,
  grpc.status.RESOURCE_EXHAUSTED,
]);

export class IpamPrefixSource implements PrefixSource {
  readonly kind = "server";
  private readonly client: IPAMClient;
  /** The prefix server, as logs and errors name it. */
  private readonly target: string;
  private readonly backoff: Backoff;
  private readonly listeners = new Set<(prefix: string) => void>();
  private excludes: string[] = [];
  private held: string | undefined;
  private stream: Stream | undefined;
  private started: Promise<string> | undefined;
  private settle: { resolve(p: string): void; reject(e: Error): void } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private answerTimer: NodeJS.Timeout | undefined;
  private startTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: IpamPrefixSourceOptions) {
    const backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.backoff = new Backoff(backoff);
    this.target = grpcTarget(toGrpcUrl(options.target));
    this.client = (options.transport ?? defaultTransport).client(IPAMClient, this.target, { backoff });
  }

  start(): Promise<string> {
    this.started ??= new Promise<string>((resolve, reject) => {
      this.settle = { resolve, reject };
      if (this.options.startTimeoutMs !== undefined) {
        this.startTimer = setTimeout(
          () =>
            this.fail(new Error(`no prefix from ${this.target} within ${this.options.startTimeoutMs} ms`)),
          this.options.startTimeoutMs,
        );
      }
      this.open();
    });
    return this.started;
  }

  current(): string | undefined {
    return this.held;
  }

  onChange(listener: (prefix: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async stop(options: { release?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.clearTimers();
    this.settle?.reject(new Error("prefix source stopped"));
    this.settle = undefined;
    let stream = this.detach();
    if (options.release && this.held) {
      stream ??= this.client.managePrefixes(this.metadata());
      await this.release(stream, this.held);
    } else {
      stream?.cancel();
    }
    this.held = undefined;
    this.client.close();
  }

  private metadata(): grpc.Metadata {
    const md = new grpc.Metadata();
    md.set(PREFIX_IDENTITY_METADATA, this.options.identity.id);
    return md;
  }

  private open(): void {
    if (this.stopped) return;
    const stream = this.client.managePrefixes(this.metadata());
    this.stream = stream;
    stream.on("data", (r: PrefixResponse) => this.stream === stream && this.onAnswer(r));
    stream.on("error", (err) => this.stream === stream && this.broken(err));
    stream.on("end", () => this.stream === stream && this.broken(new Error("the server ended the stream")));
    stream.write({
      type: Type.ALLOCATE,
      prefix: this.held ?? "",
      excludePrefixes: this.options.identity.exclude ?? [],
    });
    const timeout = this.options.timeoutMs ?? 5000;
    this.answerTimer = setTimeout(() => this.broken(new Error(`no answer within ${timeout} ms`)), timeout);
  }

  private onAnswer(r: PrefixResponse): void {
    clearTimeout(this.answerTimer);
    let prefix: string;
    try {
      prefix = parseCidr(r.prefix, "prefix").toString();
    } catch (err) {
      this.broken(err as Error);
      return;
    }
    this.backoff.reset();
    this.checkPool(prefix);
    const before = this.held;
    const excludedBefore = this.excludes.join(",");
    this.held = prefix;
    this.excludes = this.validExcludes(r.excludePrefixes);
    if (this.settle) {
      clearTimeout(this.startTimer);
      this.options.log.info({ prefix, server: this.target }, "prefix claimed");
      this.settle.resolve(prefix);
      this.settle = undefined;
    } else if (before !== prefix || excludedBefore !== this.excludes.join(",")) {
      this.options.log.warn(
        { before, prefix, excluded: this.excludes, server: this.target },
        "prefix changed",
      );
      for (const listener of this.listeners) listener(prefix);
    }
  }

  excluded(): string[] {
    return [...this.excludes];
  }

  /** exclude_prefixes as CIDRs; one that is not a CIDR is logged and left out, not fatal. */
  private validExcludes(list: string[]): string[] {
    const out: string[] = [];
    for (const value of list) {
      try {
        out.push(parseCidr(value, "exclude_prefixes").toString());
      } catch {
        this.options.log.warn(
          { value, server: this.target },
          "prefix server sent an exclude that is not a CIDR",
        );
      }
    }
    return out;
  }

  private broken(err: Error): void {
    if (this.stopped) return;
    this.detach()?.cancel();
    const code = (err as Partial<grpc.ServiceError>).code;
    if (this.settle && code !== undefined && FATAL.has(code)) {
      this.fail(new Error(`prefix server ${this.target}: ${describeError(err)}`));
      return;
    }
    const delay = this.backoff.next();
    this.options.log.warn(
      { server: this.target, err: describeError(err), retryInMs: delay },
      "prefix stream broken",
    );
    this.timer = setTimeout(() => this.open(), delay);
  }

  private fail(err: Error): void {
    this.options.log.error({ err: err.message }, "no prefix");
    this.settle?.reject(err);
    this.settle = undefined;
    void this.stop();
  }

  /** A server with another pool or prefix length gives prefixes this endpoint's routes do not cover. */
  private checkPool(prefix: string): void {
    const { pool, prefixLen } = this.options.identity;
    const c = parseCidr(prefix);
    if (c.bits !== prefixLen || !parseCidr(pool, "pool").containsCidr(c)) {
      this.options.log.warn(
        { prefix, pool, prefixLen },
        "prefix server gave a prefix outside the configured pool or length",
      );
    }
  }

  /** DELETE, then a half-close; the server's end of the call says it has been processed. */
  private release(stream: Stream, prefix: string): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        stream.cancel();
        resolve();
      }, this.options.timeoutMs ?? 5000);
      stream.on("error", () => {});
      stream.on("status", () => {
        clearTimeout(timer);
        resolve();
      });
      stream.write({ type: Type.DELETE, prefix, excludePrefixes: [] });
      stream.end();
      this.options.log.info({ prefix }, "prefix released");
    });
  }

  private detach(): Stream | undefined {
    const stream = this.stream;
    this.stream = undefined;
    clearTimeout(this.answerTimer);
    if (stream) stream.removeAllListeners("data");
    stream?.on("error", () => {});
    return stream;
  }

  private clearTimers(): void {
    clearTimeout(this.timer);
    clearTimeout(this.answerTimer);
    clearTimeout(this.startTimer);
  }
}
