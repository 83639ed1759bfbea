// Waiting on an actor's snapshot with a deadline; errors are gRPC-named so callers can answer with them.
import type { AnyActorRef, SnapshotFrom } from "xstate";
import { RequestError } from "../chain/errors.js";
import { cancelDeadline, deadlineFor, type Expiring } from "./deadlines.js";

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
    const now = actor.getSnapshot() as SnapshotFrom<A>;
    if (done(now) || (now as { status?: string }).status !== "active") return resolve(now);
    if (signal?.aborted) return reject(cancelled());
    new Wait(actor, done, resolve, reject, signal).start(deadline);
  });
}

const ONCE = { once: true } as const;

/**
 * One wait (one per RPC): the actor's observer, the abort listener (`handleEvent`) and the deadline's
 * target in one object whose methods are on its prototype, rather than a closure for each role.
 */
class Wait<A extends AnyActorRef> implements Expiring {
  private sub?: { unsubscribe(): void };
  private over = false;

  constructor(
    private readonly actor: A,
    private readonly done: (snapshot: SnapshotFrom<A>) => boolean,
    private readonly resolve: (snapshot: SnapshotFrom<A>) => void,
    private readonly reject: (error: unknown) => void,
    private readonly signal?: AbortSignal,
  ) {}

  start(deadline: number): void {
    this.signal?.addEventListener("abort", this, ONCE);
    this.sub = this.actor.subscribe(this);
    if (Number.isFinite(deadline)) deadlineFor(deadline, this);
  }

  next(snapshot: SnapshotFrom<A>): void {
    if (this.over || !(this.done(snapshot) || (snapshot as { status?: string }).status !== "active")) return;
    this.finish();
    this.resolve(snapshot);
  }

  error(error: unknown): void {
    this.finish();
    this.reject(error);
  }

  complete(): void {
    this.finish();
    this.resolve(this.actor.getSnapshot() as SnapshotFrom<A>);
  }

  /** The caller cancelled (the signal's abort event). */
  handleEvent(): void {
    this.finish();
    this.reject(cancelled());
  }

  /** The deadline passed. */
  expire(): void {
    this.finish();
    this.reject(new RequestError("DEADLINE_EXCEEDED", "no answer before the deadline"));
  }

  private finish(): void {
    if (this.over) return;
    this.over = true;
    cancelDeadline(this);
    this.signal?.removeEventListener("abort", this);
    this.sub?.unsubscribe();
  }
}

export function untilDone(actor: AnyActorRef, deadline?: number): Promise<unknown> {
  return settle(actor, (s) => (s as { status?: string }).status === "done", deadline);
}
