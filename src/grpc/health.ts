// grpc.health.v1.Health: SERVING for "" and every service this process registered, as NSM does.
import * as grpc from "@grpc/grpc-js";
import {
  type HealthServer,
  HealthCheckResponse_ServingStatus as Status,
} from "./gen/grpc/health/v1/health.js";

export class HealthStatus {
  private readonly statuses = new Map<string, Status>([["", Status.SERVING]]);
  private readonly watchers = new Set<(service: string) => void>();
  private readonly watches = new Set<{ end(): void }>();

  set(service: string, serving: boolean): void {
    const status = serving ? Status.SERVING : Status.NOT_SERVING;
    // Watch sends a message when the status changes, not for every set.
    if (this.statuses.get(service) === status) return;
    this.statuses.set(service, status);
    for (const w of this.watchers) w(service);
  }

  /** Everything NOT_SERVING (shutdown). */
  drain(): void {
    for (const service of this.statuses.keys()) this.set(service, false);
  }

  /** Ends every Watch stream (shutdown): their callers get the last status, then a clean end. */
  endWatches(): void {
    for (const call of this.watches) call.end();
    this.watches.clear();
  }

  server(): HealthServer {
    return {
      check: (call, cb) => {
        const status = this.statuses.get(call.request.service);
        if (status === undefined)
          cb({ code: grpc.status.NOT_FOUND, details: `service "${call.request.service}" is unknown` });
        else cb(null, { status });
      },
      watch: (call) => {
        const service = call.request.service;
        const send = () => call.write({ status: this.statuses.get(service) ?? Status.SERVICE_UNKNOWN });
        const watcher = (changed: string) => changed === service && send();
        this.watchers.add(watcher);
        this.watches.add(call);
        send();
        const stop = () => {
          this.watchers.delete(watcher);
          this.watches.delete(call);
        };
        call.on("cancelled", stop);
        call.on("close", stop);
      },
    };
  }
}
