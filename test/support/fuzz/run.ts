// Plays fuzz operations against a real endpoint through a real grpc-js client, as a few NSCs would,
// and checks every answer as it comes: OK or a documented status (never INTERNAL or UNKNOWN), and no
// status message echoing more than 128 characters of what was sent.
import * as grpc from "@grpc/grpc-js";
import { expect } from "vitest";
import { LIMITS } from "../../../src/chain/limits.js";
import { Connection, type PathSegment } from "../../../src/grpc/gen/networkservice/connection.js";
import { NetworkServiceRequest } from "../../../src/grpc/gen/networkservice/networkservice.js";
import {
  closeOn,
  codeOf,
  type RequestShape,
  refreshOf,
  requestOn,
  SERVICE,
  type TestNse,
} from "../endpoint.js";
import { requestWithExpiresSeconds, sendRawRequest } from "../raw-request.js";
import type { NewRequest, Op } from "./ops.js";

/** What any call may answer. DEADLINE_EXCEEDED and CANCELLED only where the client caused them. */
const DOCUMENTED = new Set([
  "OK",
  "INVALID_ARGUMENT",
  "PERMISSION_DENIED",
  "FAILED_PRECONDITION",
  "RESOURCE_EXHAUSTED",
  "UNAVAILABLE",
]);

export interface World {
  t: TestNse;
  /** Each client's connection as last received. */
  held: Map<number, Connection>;
  /** Every connection any client was ever answered, to close them all at the end. */
  ever: Connection[];
  /** Answers by status, for the report. */
  codes: Map<string, number>;
}

const nameOf = (client: number) => `nsc-${client}`;
const segment = (name: string, id: string, expires?: Date): PathSegment => ({
  name,
  id,
  token: "",
  expires,
  metrics: {},
});

export function requestShape(r: NewRequest, o: { shortLived?: boolean } = {}): RequestShape {
  const name = nameOf(r.client);
  const expires = new Date(Date.now() + (o.shortLived ? 1000 : r.expires));
  const bare = r.bare && !o.shortLived;
  const hops = Array.from({ length: r.extraSegments }, (_, i) => segment(`hop-${i}`, `hop-${i}-id`));
  const pathSegments = bare ? [] : [segment(name, `${name}-conn`, expires), ...hops];
  return {
    connection: {
      id: `${name}-conn`,
      networkService: r.service,
      labels: r.labels ?? {},
      path: { index: r.badIndex ? pathSegments.length + 1 : 0, pathSegments },
      context: r.ipContext ? { ipContext: r.ipContext } : undefined,
    },
    mechanismPreferences: [...r.mechanisms],
  };
}

/** Every string over 128 characters in what was sent. */
function longStrings(value: unknown, out: string[] = []): string[] {
  if (typeof value === "string") {
    if (value.length > 128) out.push(value);
  } else if (value && typeof value === "object") {
    for (const v of Object.values(value)) longStrings(v, out);
  }
  return out;
}

/** Whether `details` holds 129 characters in a row of `sent` (windows at a few offsets and every 64). */
function echoes(details: string, sent: string): boolean {
  for (let i = 0; i + 129 <= sent.length; i += i < 4 ? 1 : 64) {
    if (details.includes(sent.slice(i, i + 129))) return true;
  }
  return false;
}

function check(w: World, what: string, sent: unknown, error: unknown, allowed: string[] = []): string {
  const code = error ? codeOf(error) : "OK";
  w.codes.set(code, (w.codes.get(code) ?? 0) + 1);
  if (!DOCUMENTED.has(code) && !allowed.includes(code)) {
    throw new Error(
      `${what} answered ${code}: ${String((error as { details?: string })?.details).slice(0, 300)}`,
    );
  }
  const details = (error as { details?: string } | undefined)?.details ?? "";
  for (const s of longStrings(sent)) {
    if (echoes(details, s))
      throw new Error(`${what} echoed more than 128 characters: ${details.slice(0, 300)}`);
  }
  return code;
}

function keep(w: World, client: number, conn: Connection): void {
  w.held.set(client, conn);
  w.ever.push(conn);
}

const ask = (w: World, shape: RequestShape, ms = 10_000) =>
  requestOn(w.t.ns, shape, ms).then(
    (conn) => ({ conn, error: undefined }),
    (error: unknown) => ({ conn: undefined, error }),
  );

/** The request a client sends right before giving up on it. */
function cancelled(w: World, shape: RequestShape): Promise<{ conn?: Connection; error?: unknown }> {
  return new Promise((resolve) => {
    const call = w.t.ns.request(
      NetworkServiceRequest.fromPartial(shape as never),
      new grpc.Metadata(),
      {},
      (error, conn) => resolve(error ? { error } : { conn }),
    );
    setImmediate(() => call.cancel());
  });
}

export async function play(w: World, op: Op): Promise<void> {
  switch (op.kind) {
    case "request": {
      const shape = requestShape(op.req);
      const { conn, error } = await ask(w, shape);
      check(w, "Request", shape, error);
      if (conn) keep(w, op.req.client, conn);
      return;
    }
    case "refresh": {
      const held = w.held.get(op.client);
      if (!held) return;
      const shape = refreshOf(structuredClone(held));
      if (op.excluded && shape.connection?.context?.ipContext)
        shape.connection.context.ipContext.excludedPrefixes = op.excluded;
      const { conn, error } = await ask(w, shape);
      check(w, "refresh", shape, error);
      if (conn) keep(w, op.client, conn);
      return;
    }
    case "close": {
      const held = w.held.get(op.client);
      if (!held) return;
      const other = op.by !== undefined && op.by !== op.client;
      const path = other
        ? {
            index: 0,
            pathSegments: [
              segment(nameOf(op.by!), `${nameOf(op.by!)}-conn`),
              held.path!.pathSegments.at(-1)!,
            ],
          }
        : op.bare
          ? undefined
          : held.path;
      const named = held.path!.pathSegments.length > 1;
      const error = await closeOn(w.t.ns, { ...held, path }).then(
        () => undefined,
        (e: unknown) => e,
      );
      const code = check(w, "Close", { ...held, path }, error);
      // Another's Close is OK only for a connection gone already; then the owner's is a no-op too.
      if (!other && !(op.bare && named) && code === "OK") w.held.delete(op.client);
      return;
    }
    case "hijack": {
      const victim = w.held.get(op.client);
      if (!victim || op.by === op.client) return;
      const name = nameOf(op.by);
      const ours = victim.path!.pathSegments.at(-1)!;
      const shape = {
        connection: {
          ...victim,
          path: {
            index: 0,
            pathSegments: [segment(name, `${name}-conn`, new Date(Date.now() + 60_000)), ours],
          },
        },
      };
      const { conn, error } = await ask(w, shape);
      check(w, "take-over", shape, error);
      // Served only if the victim's connection was gone by then: the id is the taker's now.
      if (conn) keep(w, op.by, conn);
      return;
    }
    case "cancel": {
      const shape = requestShape(op.req, { shortLived: true });
      const { conn, error } = await cancelled(w, shape);
      check(w, "cancelled Request", shape, error, ["CANCELLED"]);
      if (conn) keep(w, op.req.client, conn);
      return;
    }
    case "deadline": {
      const shape = requestShape(op.req, { shortLived: true });
      const { conn, error } = await ask(w, shape, op.ms);
      check(w, "short-deadline Request", shape, error, ["DEADLINE_EXCEEDED"]);
      if (conn) keep(w, op.req.client, conn);
      return;
    }
    case "oversize": {
      const shape = requestShape({
        client: op.client,
        service: "x",
        labels: { big: "z".repeat(LIMITS.messageBytes) },
        mechanisms: [],
        expires: 60_000,
        extraSegments: 0,
        badIndex: false,
        bare: false,
        ipContext: undefined,
      });
      const { error } = await ask(w, shape);
      expect(check(w, "oversize Request", shape, error)).toBe("RESOURCE_EXHAUSTED");
      return;
    }
    case "rawExpiry": {
      const name = nameOf(op.client);
      const bytes = requestWithExpiresSeconds(name, SERVICE, op.seconds);
      const answer = await sendRawRequest(w.t.target, bytes, w.t.clientTransport).then(
        (raw) => ({ conn: Connection.decode(raw), error: undefined }),
        (error: unknown) => ({ conn: undefined, error }),
      );
      check(w, "raw-expiry Request", { name }, answer.error);
      if (answer.conn) keep(w, op.client, answer.conn);
      return;
    }
  }
}

/**
 * Every client closes every connection it was ever answered. A Close of one gone is OK; one whose id
 * another client took after it was gone (a take-over of a dead id) is refused, and that client's own
 * Close, also in the list, closes it.
 */
export async function closeEverything(w: World, batch: number): Promise<void> {
  const closeOne = async (conn: Connection) => {
    const error = await closeOn(w.t.ns, Connection.fromPartial(conn)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(["OK", "PERMISSION_DENIED"]).toContain(check(w, "final Close", conn, error));
  };
  for (let i = 0; i < w.ever.length; i += batch) await Promise.all(w.ever.slice(i, i + batch).map(closeOne));
}
