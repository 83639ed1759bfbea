// One Request in its connection's lane: the owner check, a new connection actor or a REQUEST to the
// running one, the wait for its answer, and the rollback when its caller is gone by then (cancelled,
// or past its deadline) or when the answer never reached it (the call was reset before its status went
// out). ConnectionLanes runs Requests and Closes one at a time per connection id.
import { RequestError } from "../chain/errors.js";
import { checkOwner, type Owner } from "../chain/owner.js";
import type { Connection } from "../grpc/gen/networkservice/connection.js";
import type { Logger } from "../log.js";
import type { ConnectionKind } from "../machines/connection.machine.js";
import { KeyedSerial } from "../util/keyed-serial.js";
import { clip } from "../util/quote.js";
import type { ConnectionActors, ConnectionRef } from "./connection-actors.js";
import type { RecentOwners } from "./recent-owners.js";
import { answered, rollBack } from "./rollback.js";
import { cancelled, settle, untilDone } from "./wait.js";

/** One Request as the chain hands it to the endpoint. */
export interface EndpointCall {
  kind: ConnectionKind;
  /** How long the connection lives without a refresh. */
  lifetimeMs: number;
  /** Epoch ms by which the caller needs the answer; past it, the request is rolled back. */
  deadline: number;
  owner: Owner;
  /** Aborted when the caller cancels: the request is rolled back. */
  signal?: AbortSignal;
  /** Whether the answer reached the caller (CallContext.delivered); false: it is rolled back. */
  delivered?: Promise<boolean>;
}

/** What the endpoint gives: its actors, the start of a new one, and its address pool's release. */
export interface RequestDeps {
  connections: ConnectionActors;
  open(event: {
    type: "CONNECTION.OPEN";
    id: string;
    kind: ConnectionKind;
    owner: Owner;
    request: Connection;
    lifetimeMs: number;
  }): ConnectionRef | undefined;
  release(id: string): void;
  /** Owners of connections that ended lately. */
  recent: RecentOwners;
  log: Logger;
}

/**
 * Serves one Request and gives its answer to `answer`; rejects (and gives none) when it fails. Where
 * the call says whether its answer reached the caller (`delivered`), it resolves only once that is
 * known, so the lane stays held and the caller's next Request sees the outcome: an answer that never
 * reached the caller is rolled back like a cancelled Request.
 */
export async function serveRequest(
  deps: RequestDeps,
  conn: Connection,
  call: EndpointCall,
  answer: (committed: Connection) => void,
): Promise<void> {
  const { kind, lifetimeMs, deadline, owner, signal } = call;
  // Its turn came after its caller left: nothing was done, nothing to undo.
  if (signal?.aborted) throw cancelled();
  let ref = deps.connections.get(conn.id);
  const busy = ref?.getSnapshot();
  // A running connection's owner, else that of one that ended lately (its NSC may come back for it).
  const owned = busy?.status === "active" ? busy.context.owner : deps.recent.ownerOf(conn.id);
  checkOwner(owned, owner, conn.id);
  // A new id starts only if it can be kept for its owner once it ends (recent-owners.ts).
  if (!ref && owned === undefined && !deps.recent.admits(deps.connections.size)) {
    throw new RequestError(
      "RESOURCE_EXHAUSTED",
      `no room for a new connection id: ${deps.recent.max} are held, running or ended within ` +
        "NSM_MAX_TOKEN_LIFETIME and kept for their owners (NSM_MAX_ENDED_CONNECTIONS); try again later",
    );
  }
  if (ref && (busy?.matches("closing") || busy?.status !== "active")) {
    await untilDone(ref, deadline);
    ref = undefined;
  }
  const held = ref?.getSnapshot().context;
  const before = held?.committed && { connection: held.committed, lifetimeMs: held.lifetimeMs };
  if (ref) ref.send({ type: "REQUEST", request: conn, lifetimeMs });
  else {
    ref = deps.open({ type: "CONNECTION.OPEN", id: conn.id, kind, owner, request: conn, lifetimeMs });
    if (!ref) throw new RequestError("UNAVAILABLE", "endpoint is not serving");
  }
  const actor = ref;
  const generation = actor.getSnapshot().context.generation;
  const undo = (why: string) =>
    rollBack(actor, before, generation, deps.release).catch((err) =>
      deps.log.warn({ err, connection: clip(conn.id), why }, "could not roll back a request"),
    );
  let s: ReturnType<ConnectionRef["getSnapshot"]>;
  try {
    s = await settle(actor, answered(generation), deadline, signal);
  } catch (error) {
    await undo(error instanceof RequestError ? error.code : "error");
    throw error;
  }
  // Answered, but too late for its caller (the timers may run behind the event): undone all the same.
  if (signal?.aborted || Date.now() >= deadline) {
    await undo(signal?.aborted ? "CANCELLED" : "DEADLINE_EXCEEDED");
    throw signal?.aborted
      ? cancelled()
      : new RequestError("DEADLINE_EXCEEDED", "no answer before the deadline");
  }
  const outcome = s.context.answer;
  if (outcome && outcome.generation >= generation && outcome.ok && s.context.committed) {
    answer(s.context.committed);
    if (call.delivered && !(await call.delivered)) await undo("UNDELIVERED");
    return;
  }
  if (outcome && outcome.generation >= generation && !outcome.ok) {
    throw new RequestError((outcome.code as never) ?? "INTERNAL", outcome.message ?? "request failed");
  }
  throw new RequestError("UNAVAILABLE", "connection was closed while it was being requested");
}

/** Requests and Closes one at a time per connection id, in arrival order; `ready` throws when not serving. */
export class ConnectionLanes {
  private readonly serial = new KeyedSerial();

  constructor(
    private readonly deps: RequestDeps,
    private readonly ready: () => void,
  ) {}

  /**
   * Only the `owner` of an existing connection may refresh it; the check runs in the connection's
   * lane, so racing callers cannot both pass. A request whose caller cancels or whose deadline passes
   * is rolled back.
   */
  request(conn: Connection, call: EndpointCall): Promise<Connection> {
    // Answered as soon as the answer is there; the lane may stay held a moment longer (serveRequest).
    return new Promise((resolve, reject) => {
      this.serial
        .run(conn.id, async () => {
          this.ready();
          await serveRequest(this.deps, conn, call, resolve);
        })
        .catch(reject);
    });
  }

  /** Closing one that is not there is not an error. A caller's Close names its `owner`, checked as for a Request. */
  close(id: string, deadline: number, owner?: Owner): Promise<void> {
    return this.serial.run(id, async () => {
      const ref = this.deps.connections.running(id);
      if (!ref) return;
      if (owner) checkOwner(ref.getSnapshot().context.owner, owner, id);
      ref.send({ type: "CLOSE" });
      await untilDone(ref, deadline);
    });
  }
}
