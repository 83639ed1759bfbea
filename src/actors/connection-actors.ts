// The connection actors of one endpoint, by connection id. The endpoint machine asks for them to be
// started and told things through the actions this provides; this tells it when one has ended.
// A Map rather than the machine's own children: XState copies a machine's children on every spawn
// and stop, so each Request cost time in proportion to the connections held (1,000 held: 7x slower).
import { type ActorRefFrom, type AnyActorRef, createActor, type InspectionEvent } from "xstate";
import type { ConnectionEvent, ConnectionInput, connectionMachine } from "../machines/connection.machine.js";
import { connectionActorId } from "../machines/endpoint.machine.js";

export type ConnectionLogic = typeof connectionMachine;
export type ConnectionRef = ActorRefFrom<ConnectionLogic>;

export interface ConnectionActorsOptions {
  /** Sees each actor before it starts. */
  onStart?(ref: ConnectionRef): void;
  /**
   * Every snapshot of every actor, and its end (done, broken or stopped), from the one subscription
   * this holds on each (a second one per actor costs a few hundred bytes at 10,000 connections).
   */
  onSnapshot?(ref: ConnectionRef, snapshot: ReturnType<ConnectionRef["getSnapshot"]>): void;
  onGone?(ref: ConnectionRef): void;
  /**
   * An actor ended: reached closed or failed, or broke (`error`: one of its effects threw, or it could
   * not be started). Not called for those stopped.
   */
  onEnd?(id: string, error?: unknown, ref?: ConnectionRef): void;
  /** Forwards inspection events (the Stately inspector). */
  inspect?: (event: InspectionEvent) => void;
}

const running = (ref: AnyActorRef) => ref.getSnapshot().status === "active";

export class ConnectionActors {
  private readonly byId = new Map<string, ConnectionRef>();
  /** Starts the endpoint machine asked for: done once its step is over, never inside its action. */
  private readonly pending: ConnectionInput[] = [];
  /** After stopAll nothing starts any more. */
  private closed = false;

  /** `logic`: the connection machine with its effects. */
  constructor(
    private readonly logic: ConnectionLogic,
    readonly options: ConnectionActorsOptions = {},
  ) {}

  get(id: string): ConnectionRef | undefined {
    return this.byId.get(id);
  }

  /** The actor of `id` if it is running (not ended, not stopped). */
  running(id: string): ConnectionRef | undefined {
    const ref = this.byId.get(id);
    return ref && running(ref) ? ref : undefined;
  }

  values(): IterableIterator<ConnectionRef> {
    return this.byId.values();
  }

  get size(): number {
    return this.byId.size;
  }

  /**
   * Runs `ask`, which may have the endpoint machine ask for an actor for `id`, starts what it asked
   * for, and returns that actor. It may already have ended (a request refused at once).
   */
  startedBy(id: string, ask: () => void): ConnectionRef | undefined {
    ask();
    return this.flush(id);
  }

  /** Sends `event` to every running actor, once the endpoint's step is over. */
  tell(event: ConnectionEvent): void {
    const refs = [...this.byId.values()];
    queueMicrotask(() => {
      for (const ref of refs) if (running(ref)) ref.send(event);
    });
  }

  /** Stops every actor where it stands (nothing is closed or announced). */
  stopAll(): void {
    this.closed = true;
    this.pending.length = 0;
    const refs = [...this.byId.values()];
    this.byId.clear();
    for (const ref of refs) ref.stop();
  }

  /** The endpoint machine's actions for its connection actors. */
  actions() {
    return {
      startConnection: (_: unknown, p: { input: ConnectionInput }) => {
        // startedBy starts it at once; a start asked for otherwise waits for a microtask.
        if (this.pending.push(p.input) === 1) queueMicrotask(() => this.flush());
      },
      tellConnections: (_: unknown, p: { event: ConnectionEvent }) => this.tell(p.event),
      stopConnections: () => queueMicrotask(() => this.stopAll()),
    };
  }

  /**
   * Starts what is pending and returns the actor of `id` among them; one that cannot be started is
   * reported ended (so it is counted out), and if it is `id`'s, its error is thrown.
   */
  private flush(id?: string): ConnectionRef | undefined {
    let wanted: ConnectionRef | undefined;
    let failure: { error: unknown } | undefined;
    for (const input of this.pending.splice(0)) {
      if (this.closed) break;
      try {
        const ref = this.start(input);
        if (input.id === id) wanted = ref;
      } catch (error) {
        this.options.onEnd?.(input.id, error);
        if (input.id === id) failure = { error };
      }
    }
    if (failure) throw failure.error;
    return wanted;
  }

  /** An actor ended (not stopped, not replaced): forget it and tell the owner. */
  ended(id: string, ref: ConnectionRef, error?: unknown): void {
    if (this.byId.get(id) !== ref) return; // stopped, or replaced
    this.byId.delete(id);
    this.options.onEnd?.(id, error, ref);
  }

  /** XState runs a new actor's first steps as it is created: never inside another actor's action. */
  private start(input: ConnectionInput): ConnectionRef {
    const previous = this.byId.get(input.id);
    if (previous && running(previous)) throw new Error(`connection ${input.id} already has a running actor`);
    const ref = createActor(this.logic, {
      id: connectionActorId(input.id),
      input,
      inspect: this.options.inspect,
    });
    this.byId.set(input.id, ref);
    this.options.onStart?.(ref);
    ref.subscribe(new Watch(this, ref, input.id));
    ref.start();
    return ref;
  }
}

/**
 * The one observer of each actor: an object whose methods are on its prototype, so that thousands of
 * actors do not each hold closures of their own (XState binds the three methods once per subscribe).
 */
class Watch {
  constructor(
    private readonly actors: ConnectionActors,
    private readonly ref: ConnectionRef,
    private readonly id: string,
  ) {}

  next(snapshot: ReturnType<ConnectionRef["getSnapshot"]>): void {
    this.actors.options.onSnapshot?.(this.ref, snapshot);
  }

  complete(): void {
    this.actors.options.onGone?.(this.ref);
    this.actors.ended(this.id, this.ref);
  }

  error(error: unknown): void {
    this.actors.options.onGone?.(this.ref);
    this.actors.ended(this.id, this.ref, error);
  }
}
