// Connections and fake effects shared by the machine tests.
import type { AnyActorRef, EventObject, SnapshotFrom } from "xstate";
import type { Connection } from "../../../src/grpc/gen/networkservice/connection.js";
import { Connection as ConnectionMsg } from "../../../src/grpc/gen/networkservice/connection.js";
import type {
  AllocateInput,
  ConnectionKind,
  ProgramInput,
} from "../../../src/machines/connection.machine.js";

/** A connection whose IP context carries `src` as the NSC's address. */
export function conn(id: string, src = "172.16.0.2/32"): Connection {
  return ConnectionMsg.fromPartial({
    id,
    networkService: "vl3-test",
    context: { ipContext: { srcIpAddrs: [src], dstIpAddrs: ["172.16.0.1/32"] } },
    mechanism: { cls: "LOCAL", type: "KERNEL", parameters: { name: "nsc-x" } },
  });
}

/**
 * A runtime effect of a machine (an action answered by an event), whose outcomes are
 * scripted per call (last one repeats); calls are recorded. Answers after a microtask, as the data
 * plane does (only to an actor still running), or at once with `sync`, as the runtime's IPAM does.
 */
export function answering<I, O>(
  outcomes: Array<O | Error>,
  ok: (output: O) => EventObject,
  failed: (error: Error) => EventObject,
  sync = false,
) {
  const calls: I[] = [];
  const action = ({ self }: { self: AnyActorRef }, input: I) => {
    calls.push(input);
    const outcome = outcomes[Math.min(calls.length - 1, outcomes.length - 1)];
    const reply = () => {
      if (self.getSnapshot().status !== "active") return;
      self.send(outcome instanceof Error ? failed(outcome) : ok(outcome as O));
    };
    if (sync) reply();
    else queueMicrotask(reply);
  };
  return { action, calls };
}

/** The connection machine's three effects, scripted; `syncAllocate` answers as the runtime's IPAM does. */
export function connectionEffectsOf(s: {
  allocate?: Array<Connection | Error>;
  program?: Array<undefined | Error>;
  unprogram?: Array<undefined | Error>;
  syncAllocate?: boolean;
}) {
  const allocate = answering<AllocateInput, Connection>(
    s.allocate ?? [conn("c1")],
    (connection) => ({ type: "ALLOCATED", connection }),
    (error) => ({ type: "ALLOCATION_FAILED", error }),
    s.syncAllocate,
  );
  const program = answering<ProgramInput, undefined>(
    s.program ?? [undefined],
    () => ({ type: "PROGRAMMED" }),
    (error) => ({ type: "PROGRAMMING_FAILED", error }),
  );
  const unprogram = answering<{ id: string; kind: ConnectionKind }, undefined>(
    s.unprogram ?? [undefined],
    () => ({ type: "UNPROGRAMMED" }),
    (error) => ({ type: "UNPROGRAMMING_FAILED", error }),
  );
  return {
    allocate,
    program,
    unprogram,
    actions: { allocate: allocate.action, program: program.action, unprogram: unprogram.action },
  };
}

/** An error carrying a gRPC status name, as the runtime's RequestError does. */
export function coded(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/** Resolves with the first snapshot that satisfies `done` (bounded). */
export function until<A extends AnyActorRef>(
  actor: A,
  done: (s: SnapshotFrom<A>) => boolean,
  timeoutMs = 5000,
): Promise<SnapshotFrom<A>> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const s = actor.getSnapshot() as SnapshotFrom<A>;
      if (!done(s)) return false;
      clearTimeout(timer);
      sub?.unsubscribe();
      resolve(s);
      return true;
    };
    const timer = setTimeout(() => {
      sub?.unsubscribe();
      reject(
        new Error(`timed out after ${timeoutMs} ms; last state ${JSON.stringify(actor.getSnapshot().value)}`),
      );
    }, timeoutMs);
    let sub: { unsubscribe(): void } | undefined;
    if (check()) return;
    sub = actor.subscribe({
      next: () => void check(),
      complete: () => void check(),
      error: () => void check(),
    });
  });
}
