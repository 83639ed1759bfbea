// The peer actors of one endpoint, by peer NSE name. The endpoint machine asks for them to be started,
// told and stopped through the actions this provides; this tells its owner when one has finished.
// A Map, not the machine's children (XState copies those on every spawn and stop): what is left per
// peer started or ended is the machine's copy of its sorted peer names, O(N) with a small constant.
import { type ActorRefFrom, type AnyActorRef, createActor, type InspectionEvent } from "xstate";
import { peerActorId } from "../machines/endpoint.machine.js";
import type { PeerEvent, PeerInput, peerMachine } from "../machines/peer.machine.js";

export type PeerLogic = typeof peerMachine;
export type PeerRef = ActorRefFrom<PeerLogic>;
type PeerSnapshot = ReturnType<PeerRef["getSnapshot"]>;

export interface PeerActorsOptions {
  /** Sees each actor before it starts. */
  onStart?(ref: PeerRef): void;
  /** Every snapshot of every actor, and its end (done, broken or stopped), from the one subscription held on each. */
  onSnapshot?(ref: PeerRef, snapshot: PeerSnapshot): void;
  onGone?(ref: PeerRef): void;
  /** An actor finished (its link closed) or broke (`error`); not called for those stopped. */
  onEnd?(name: string, error?: unknown): void;
  /** Forwards inspection events (the Stately inspector). */
  inspect?: (event: InspectionEvent) => void;
}

/** What the endpoint machine asked for: a start, or an event for one actor (`to`) or for every one. */
type Order = { start: PeerInput } | { to?: string; event: PeerEvent };

const running = (ref: AnyActorRef) => ref.getSnapshot().status === "active";

export class PeerActors {
  private readonly byName = new Map<string, PeerRef>();
  /** Carried out in order once the endpoint's step is over, never inside its action: XState runs a
   * new actor's first steps as it is created, and an event sent inside a step would overtake them. */
  private readonly orders: Order[] = [];
  private flushing = false;
  /** After stopAll nothing starts any more. */
  private closed = false;

  /** `logic`: the peer machine with its effects. */
  constructor(
    private readonly logic: PeerLogic,
    readonly options: PeerActorsOptions = {},
  ) {}

  get(name: string): PeerRef | undefined {
    return this.byName.get(name);
  }

  values(): IterableIterator<PeerRef> {
    return this.byName.values();
  }

  get size(): number {
    return this.byName.size;
  }

  /** Runs `ask` (events to the endpoint machine) and carries out at once what it asked for. */
  after(ask: () => void): void {
    ask();
    this.flush();
  }

  /** Stops every actor where it stands (nothing is closed or announced). */
  stopAll(): void {
    this.closed = true;
    this.orders.length = 0;
    const refs = [...this.byName.values()];
    this.byName.clear();
    for (const ref of refs) ref.stop();
  }

  /** The endpoint machine's actions for its peer actors. */
  actions() {
    return {
      startPeer: (_: unknown, p: { input: PeerInput }) => this.order({ start: p.input }),
      tellPeer: (_: unknown, p: { name: string; event: PeerEvent }) =>
        this.order({ to: p.name, event: p.event }),
      tellPeers: (_: unknown, p: { event: PeerEvent }) => this.order({ event: p.event }),
      stopPeers: () => queueMicrotask(() => this.stopAll()),
    };
  }

  /** An actor ended (not stopped, not replaced): forget it and tell the owner. */
  ended(name: string, ref: PeerRef, error?: unknown): void {
    if (this.byName.get(name) !== ref) return;
    this.byName.delete(name);
    this.options.onEnd?.(name, error);
  }

  /** `after` carries it out at once; an order given otherwise waits for a microtask. */
  private order(order: Order): void {
    if (this.orders.push(order) === 1) queueMicrotask(() => this.flush());
  }

  /** In order, including orders given while carrying these out (never re-entered: the outer loop takes them). */
  private flush(): void {
    if (this.flushing) return;
    this.flushing = true;
    try {
      for (let i = 0; i < this.orders.length && !this.closed; i++) this.carryOut(this.orders[i]!);
    } finally {
      this.orders.length = 0;
      this.flushing = false;
    }
  }

  private carryOut(order: Order): void {
    if ("start" in order) this.start(order.start);
    else if (order.to !== undefined) {
      const ref = this.byName.get(order.to);
      if (ref && running(ref)) ref.send(order.event);
    } else {
      for (const ref of [...this.byName.values()]) if (running(ref)) ref.send(order.event);
    }
  }

  private start(input: PeerInput): void {
    const previous = this.byName.get(input.name);
    // The machine starts one per name and forgets it only when it ended: never two at once.
    if (previous && running(previous)) return;
    let ref: PeerRef;
    try {
      ref = createActor(this.logic, { id: peerActorId(input.name), input, inspect: this.options.inspect });
    } catch (error) {
      this.options.onEnd?.(input.name, error);
      return;
    }
    this.byName.set(input.name, ref);
    this.options.onStart?.(ref);
    ref.subscribe(new Watch(this, ref, input.name));
    ref.start();
  }
}

/** The one observer of each actor, its methods on the prototype (no closures per actor). */
class Watch {
  constructor(
    private readonly actors: PeerActors,
    private readonly ref: PeerRef,
    private readonly name: string,
  ) {}

  next(snapshot: PeerSnapshot): void {
    this.actors.options.onSnapshot?.(this.ref, snapshot);
  }

  complete(): void {
    this.actors.options.onGone?.(this.ref);
    this.actors.ended(this.name, this.ref);
  }

  error(error: unknown): void {
    this.actors.options.onGone?.(this.ref);
    this.actors.ended(this.name, this.ref, error);
  }
}
