// Waiting on an actor's snapshot with a deadline; errors are gRPC-named so callers can answer with them.
import type { AnyActorRef, SnapshotFrom } from "xstate";
import { RequestError } from "../chain/errors.js";
import { atDeadline } from "./deadlines.js";

/** The error of a wait whose caller went away: nobody will read the answer. */
export const cancelled = () => new RequestError("CANCELLED", "the caller cancelled the call");

/**
 * Resolves with the first snapshot that satisfies `done`, or that is final; rejects at `deadline`,
 * or when `signal` aborts (the caller cancelled).
 */
export function settle<A extends AnyActorRef>(
  actor: A,
  done: (snapshot: SnapshotFrom<A>) => boolean,
  deadline = Number.POSITIVE_INFINITY,
  signal?: AbortSignal,
): Promise<SnapshotFrom<A>> {
  return new Promise((resolve, reject) => {
    const check = (s: SnapshotFrom<A>) => done(s) || (s as { status?: string }).status !== "active";
    const now = actor.getSnapshot() as SnapshotFrom<A>;
    if (check(now)) return resolve(now);
    if (signal?.aborted) return reject(cancelled());
    let cancel: (() => void) | undefined;
    const onAbort = () => {
      finish();
      reject(cancelled());
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    const sub = actor.subscribe({
      next: (s: SnapshotFrom<A>) => {
        if (!check(s)) return;
        finish();
        resolve(s);
      },
      error: (e: unknown) => {
        finish();
        reject(e);
      },
      complete: () => {
        finish();
        resolve(actor.getSnapshot() as SnapshotFrom<A>);
      },
    });
    const finish = () => {
      cancel?.();
      signal?.removeEventListener("abort", onAbort);
      sub.unsubscribe();
    };
    if (Number.isFinite(deadline)) {
      cancel = atDeadline(deadline, () => {
        cancel = undefined;
        finish();
        reject(new RequestError("DEADLINE_EXCEEDED", "no answer before the deadline"));
      });
    }
  });
}

export function untilDone(actor: AnyActorRef, deadline?: number): Promise<unknown> {
  return settle(actor, (s) => (s as { status?: string }).status === "done", deadline);
}
