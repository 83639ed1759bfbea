// Rolls back a Request whose answer never reached its caller (it cancelled, or its deadline passed):
// a new connection is closed and its address freed; a refresh that changed the connection is undone
// by re-requesting what the caller last received. Nothing a client never received holds an address.
import type { Connection } from "../grpc/gen/networkservice/connection.js";
import type { ConnectionRef } from "./connection-actors.js";
import { settle, untilDone } from "./wait.js";

/** What the caller last received: undefined for a new connection. */
export interface Committed {
  connection: Connection;
  lifetimeMs: number;
}

/** How long a rollback may take: the connection's own work (data plane) must finish first. */
export const ROLLBACK_MS = 10_000;

export const answered = (generation: number) => (s: ReturnType<ConnectionRef["getSnapshot"]>) =>
  (s.context.answer?.generation ?? 0) >= generation;

/** The same connection as far as the data plane and the caller are concerned. */
const sameShape = (a: Connection, b: Connection) =>
  JSON.stringify(a.context) === JSON.stringify(b.context) &&
  JSON.stringify(a.mechanism) === JSON.stringify(b.mechanism);

/**
 * Undoes request `generation` on `ref`. `release` frees the connection's address just before the
 * restoring request, in the same step, so that the request gets the address it had back.
 */
export async function rollBack(
  ref: ConnectionRef,
  before: Committed | undefined,
  generation: number,
  release: (id: string) => void,
): Promise<void> {
  const deadline = Date.now() + ROLLBACK_MS;
  if (!before) {
    if (ref.getSnapshot().status === "active") ref.send({ type: "CLOSE" });
    await untilDone(ref, deadline);
    return;
  }
  // A refresh: let it finish (the machine takes no request half-way), then undo what it changed.
  const s = await settle(ref, answered(generation), deadline);
  const now = s.context.committed;
  if (s.status !== "active" || !s.matches("up") || !now || sameShape(now, before.connection)) return;
  release(s.context.id);
  ref.send({ type: "REQUEST", request: before.connection, lifetimeMs: before.lifetimeMs });
  await settle(ref, answered(ref.getSnapshot().context.generation), deadline);
}
