// grpc.health.v1.Health: SERVING for "" and every service this process registered, as NSM does.
import * as grpc from "@grpc/grpc-js";
import {
  type HealthServer,
  HealthCheckResponse_ServingStatus as Status,
} from "./gen/grpc/health/v1/health.js";

export class HealthStatus {
  private readonly statuses = new Map<string, Status>([["", Status.SERVING]]);
  private readonly watchers = new Set<(service: string) => void>();

  set(service: string, serving: boolean): void {
    this.statuses.set(service, serving ? Status.SERVING : Status.NOT_SERVING);
    for (const w of this.watchers) w(service);
  }

  /** Everything NOT_SERVING (shutdown). */
  drain(): void {
    for (const service of this.statuses.keys()) this.set(service, false);
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
        send();
        call.on("cancelled", () => this.watchers.delete(watcher));
        call.on("close", () => this.watchers.delete(watcher));
      },
    };
  }
}
