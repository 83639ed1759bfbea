// The connections this NSE serves, as MonitorConnections streams them: the current set for
// INITIAL_STATE_TRANSFER, then every UPDATE and DELETE.
import { EventEmitter } from "node:events";
import type { Connection } from "../grpc/gen/networkservice/connection.js";

export type MonitorEvent = { type: "UPDATE" | "DELETE"; connection: Connection };

export class ConnectionEvents {
  private readonly current = new Map<string, Connection>();
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  update(connection: Connection): void {
    this.current.set(connection.id, connection);
    this.emitter.emit("event", { type: "UPDATE", connection } satisfies MonitorEvent);
  }

  delete(connection: Connection): void {
    if (!this.current.delete(connection.id)) return;
    this.emitter.emit("event", { type: "DELETE", connection } satisfies MonitorEvent);
  }

  snapshot(): Connection[] {
    return [...this.current.values()];
  }

  get(id: string): Connection | undefined {
    return this.current.get(id);
  }

  subscribe(listener: (event: MonitorEvent) => void): () => void {
    this.emitter.on("event", listener);
    return () => this.emitter.off("event", listener);
  }
}
