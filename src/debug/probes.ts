// The answers to the Kubernetes probes, the same on the health listener and the debug server.
// Liveness is "this process is serving": its gRPC servers listen and its event loop keeps time (an
// HTTP answer alone proves neither). Readiness is "it can take connections", and when it cannot,
// what it is waiting for.
import { type ELDHistogram, monitorEventLoopDelay } from "node:perf_hooks";
import type { SecurityStatus } from "../security/setup.js";

export interface ProbeReply {
  status: number;
  body: Record<string, unknown>;
}

export interface ProbesOptions {
  /** Readiness parts, as the endpoint reports them (Observable.readiness). */
  readiness(): Record<string, boolean>;
  /** What a part that is not ready waits for ("the prefix server at tcp://10.0.0.1:5006"). */
  waitingFor?(part: string): string | undefined;
  /** Transport security: waiting for an SVID is not ready (part `identity`); plain text is a warning. */
  security?(): SecurityStatus;
  /** Whether the gRPC servers listen; undefined while they are not bound yet (starting). */
  listening?(): boolean | undefined;
  /** An event loop late by more than this within the last window is not live (default 2 s). */
  stallMs?: number;
  /** How long a stall is remembered (default 10 s, about one liveness period). */
  windowMs?: number;
}

const NOT_READY: Record<string, string> = {
  registered: "not registered with the NSM registry",
  prefix: "no prefix held",
  dataplane: "data plane not resynced",
  identity: "no SPIFFE identity yet",
};

export class Probes {
  private readonly loop: ELDHistogram;
  private readonly rotation: NodeJS.Timeout;
  /** The worst loop delay of the window before the current one, in ms. */
  private previousMaxMs = 0;

  constructor(private readonly o: ProbesOptions) {
    this.loop = monitorEventLoopDelay({ resolution: 20 });
    this.loop.enable();
    this.rotation = setInterval(() => {
      this.previousMaxMs = this.loop.max / 1e6;
      this.loop.reset();
    }, o.windowMs ?? 10_000);
    this.rotation.unref();
  }

  /** The event loop's worst delay over the last one to two windows, in ms. */
  loopDelayMs(): number {
    return Math.round(Math.max(this.previousMaxMs, this.loop.max / 1e6));
  }

  live(): ProbeReply {
    const listening = this.o.listening?.();
    const delay = this.loopDelayMs();
    const problems: string[] = [];
    if (listening === false) problems.push("the gRPC server is not listening");
    if (delay > (this.o.stallMs ?? 2000)) problems.push(`the event loop stalled for ${delay} ms`);
    const body = {
      ok: problems.length === 0,
      listening: listening ?? "starting",
      eventLoopDelayMs: delay,
    };
    if (problems.length === 0) return { status: 200, body };
    return { status: 503, body: { ...body, message: `not live: ${problems.join("; ")}` } };
  }

  ready(): ProbeReply {
    const security = this.o.security?.();
    const parts = { ...this.o.readiness(), ...(security ? { identity: security.ready } : {}) };
    // Always shown when there is one: plain text (NSM_INSECURE) is ready but warned about.
    const extra = security ? { security } : {};
    const missing = Object.entries(parts)
      .filter(([, ok]) => !ok)
      .map(([part]) => part);
    if (missing.length === 0) return { status: 200, body: { ready: true, ...parts, ...extra } };
    const says = missing.map((part) => {
      const what = (part === "identity" && security?.warning) || NOT_READY[part] || part;
      const waiting = this.o.waitingFor?.(part);
      return waiting ? `${what} (waiting for ${waiting})` : what;
    });
    return {
      status: 503,
      body: { ready: false, ...parts, missing, message: `not ready: ${says.join(", ")}`, ...extra },
    };
  }

  close(): void {
    clearInterval(this.rotation);
    this.loop.disable();
  }
}
