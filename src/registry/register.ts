// The endpoint's own registration: register, refresh at 2/3 of the granted expiration (sooner while
// refreshes are slow), retry with backoff while the registry is away, and re-register at once when the
// registry loses the entry. What goes on the wire (the entry, Register/Unregister with the registry's
// path) is register-calls.ts.
import { EventEmitter } from "node:events";
import * as grpc from "@grpc/grpc-js";
import type { NetworkServiceEndpoint } from "../grpc/gen/registry/registry.js";
import type { Transport } from "../grpc/transport.js";
import type { GrpcUrl } from "../grpc/url.js";
import type { Logger } from "../log.js";
import { Backoff, type BackoffOptions, DEFAULT_BACKOFF } from "../util/backoff.js";
import { describeError } from "../util/grpc.js";
import type { RegistryAuthorize } from "./path-call.js";
import { type EndpointRegistration, RegistrationCalls, registrationEntry } from "./register-calls.js";
import { watchOwnEntry } from "./self-watch.js";

export type { EndpointRegistration } from "./register-calls.js";

export interface RegisterOptions {
  /** The registry, or the nsmgr that forwards to it (grpc target or tcp:// / unix:// URL). */
  target: GrpcUrl | string;
  /** How the registry is dialled (credentials); default plain text. */
  transport?: Transport;
  nse: EndpointRegistration;
  /** Expiration asked for; the registry may grant less. */
  expiryMs: number;
  /** Also register each NetworkService {name, payload "IP"} (NSM_REGISTER_SERVICE). */
  registerService?: boolean;
  /** Mark the registration as a vL3 peer (default true). */
  peer?: boolean;
  log: Logger;
  backoff?: BackoffOptions;
  /** Deadline of one Register or Unregister call (default 5 s). */
  timeoutMs?: number;
  /** With path tokens on: NSM's registry client policies over the path each answer brings back. */
  authorize?: RegistryAuthorize;
}

/**
 * When to refresh, after an answer that left `lifetimeMs` of the entry, when the last refresh took
 * `slowMs` from the moment it was due to its answer (timer lateness and round trip: a loaded machine,
 * a busy registry). At 2/3 as NSM does, but early enough that a refresh as slow again still lands in
 * time, with that much to spare: else a live entry expires, every peer drops its links to it and
 * relinks when it comes back, and the extra work makes the next refresh slower still. Never before 1/3.
 */
export function refreshDelay(lifetimeMs: number, slowMs: number): number {
  const life = Math.max(0, lifetimeMs);
  return Math.floor(Math.max(life / 3, Math.min((life * 2) / 3, life - 2 * Math.max(0, slowMs))));
}

export class RegistrationHandle extends EventEmitter<{ change: [registered: boolean]; stopped: [] }> {
  private readonly calls: RegistrationCalls;
  private readonly backoff: Backoff;
  private readonly timeoutMs: number;
  private isRegistered = false;
  private last: NetworkServiceEndpoint | undefined;
  private stopped = false;
  private inFlight = false;
  private running: Promise<void> | undefined;
  private again = false;
  private serviceNeeded: boolean;
  private timer: NodeJS.Timeout | undefined;
  /** When the scheduled refresh was meant to start (to learn how late and slow it was). */
  private dueAt: number | undefined;
  private lapseTimer: NodeJS.Timeout | undefined;
  private readonly watchBackoff: Backoff;
  private cancelSelfWatch: (() => void) | undefined;
  private selfWatchOff = false;

  constructor(private readonly options: RegisterOptions) {
    super();
    const backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.backoff = new Backoff(backoff);
    this.watchBackoff = new Backoff(backoff);
    this.timeoutMs = options.timeoutMs ?? 5000;
    const { target, transport, authorize } = options;
    this.calls = new RegistrationCalls({ target, transport, backoff, timeoutMs: this.timeoutMs, authorize });
    this.serviceNeeded = options.registerService ?? false;
    this.schedule(0);
  }

  /** Whether the registry holds this endpoint now, as far as the last answer and its expiry tell. */
  get registered(): boolean {
    return this.isRegistered;
  }

  /** The entry as the registry last returned it (granted expiration, initial registration time). */
  get current(): NetworkServiceEndpoint | undefined {
    return this.last;
  }

  /** Resolves once registered (at once if it is); rejects if stopped first. */
  whenRegistered(): Promise<void> {
    if (this.isRegistered) return Promise.resolve();
    if (this.stopped) return Promise.reject(new Error("registration stopped"));
    return new Promise((resolve, reject) => {
      const done = () => {
        this.off("change", onChange);
        this.off("stopped", onStopped);
      };
      const onChange = (registered: boolean) => {
        if (!registered) return;
        done();
        resolve();
      };
      const onStopped = () => {
        done();
        reject(new Error("registration stopped"));
      };
      this.on("change", onChange);
      this.on("stopped", onStopped);
    });
  }

  /** Stops refreshing; with `unregister` (NSM_UNREGISTER_ITSELF) also removes the entry now. */
  async stop(options: { unregister?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.lapseTimer);
    this.cancelSelfWatch?.();
    this.emit("stopped");
    // A Register still on the wire could land after the Unregister and resurrect the entry.
    await this.running;
    if (options.unregister && this.last) {
      try {
        await this.calls.unregister(this.last);
        this.options.log.info({ nse: this.options.nse.name }, "unregistered");
      } catch (err) {
        this.options.log.warn({ nse: this.options.nse.name, err: describeError(err) }, "unregister failed");
      }
    }
    this.setRegistered(false);
    this.calls.close();
  }

  /** The registry's time of our first registration (NSM's peer rule orders endpoints by it). */
  get initialRegistrationTime(): Date | undefined {
    return this.last?.initialRegistrationTime;
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.dueAt = Date.now() + ms;
    if (!this.stopped) this.timer = setTimeout(() => this.attempt(), ms);
  }

  private attempt(): void {
    if (this.stopped) return;
    if (this.inFlight) {
      this.again = true;
      return;
    }
    this.inFlight = true;
    this.running = this.register().finally(() => {
      this.inFlight = false;
      if (this.again && !this.stopped) {
        this.again = false;
        this.schedule(0);
      }
    });
  }

  private async register(): Promise<void> {
    const log = this.options.log;
    try {
      if (this.serviceNeeded) {
        await this.calls.registerServices(this.options.nse.serviceNames);
        this.serviceNeeded = false;
      }
      const sentAt = Date.now();
      const dueAt = Math.min(this.dueAt ?? sentAt, sentAt);
      const { nse, peer, expiryMs } = this.options;
      const granted = await this.calls.register(
        registrationEntry(nse, { peer, expiryMs, initial: this.last?.initialRegistrationTime }),
      );
      this.last = granted;
      if (this.stopped) return;
      this.backoff.reset();
      // Refresh at 2/3 of what was granted; never later than 2/3 of what was asked for.
      const expiresAt = granted.expirationTime?.getTime() ?? sentAt + this.options.expiryMs;
      const lifetime = Math.min(Math.max(0, expiresAt - Date.now()), this.options.expiryMs);
      this.armLapse(lifetime);
      this.setRegistered(true);
      this.ensureSelfWatch();
      this.schedule(Math.max(10, refreshDelay(lifetime, Date.now() - dueAt)));
      log.debug({ nse: granted.name, lifetimeMs: lifetime }, "registered");
    } catch (err) {
      if (this.stopped) return;
      const delay = this.backoff.next();
      log.warn(
        { nse: this.options.nse.name, err: describeError(err), retryInMs: delay },
        "registration failed",
      );
      this.serviceNeeded ||= this.options.registerService ?? false;
      this.schedule(delay);
    }
  }

  /** Past the granted expiration without a successful refresh, the registry has dropped us. */
  private armLapse(lifetimeMs: number): void {
    clearTimeout(this.lapseTimer);
    this.lapseTimer = setTimeout(() => {
      this.options.log.warn({ nse: this.options.nse.name }, "registration lapsed");
      this.setRegistered(false);
    }, lifetimeMs);
  }

  /** Re-registers as soon as the registry loses the entry (see self-watch.ts). */
  private ensureSelfWatch(): void {
    if (this.cancelSelfWatch || this.stopped || this.selfWatchOff) return;
    const since = Date.now();
    this.cancelSelfWatch = watchOwnEntry(this.calls.nseClient, this.options.nse.name, (lost) => {
      this.cancelSelfWatch = undefined;
      if (this.stopped) return;
      if (lost.code === grpc.status.UNIMPLEMENTED) {
        this.selfWatchOff = true; // a registry without watch: the refresh alone has to do
        return;
      }
      // Its own backoff, reset only by a watch that lasted: a registry that ends every watch at
      // once must not turn into a register loop.
      if (Date.now() - since > 5000) this.watchBackoff.reset();
      if (lost.deleted) this.setRegistered(false);
      this.options.log.info(
        { nse: this.options.nse.name, why: lost.why },
        "registration lost; re-registering",
      );
      this.serviceNeeded = this.options.registerService ?? false;
      this.schedule(this.watchBackoff.next());
    });
  }

  private setRegistered(registered: boolean): void {
    if (registered === this.isRegistered) return;
    this.isRegistered = registered;
    this.emit("change", registered);
  }
}

/** Registers the endpoint and keeps it registered until `stop()`. */
export function registerEndpoint(options: RegisterOptions): RegistrationHandle {
  return new RegistrationHandle(options);
}
