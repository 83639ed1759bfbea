// Watches the endpoint's machine actors (endpoint, connections, peers) by subscribing to each as it
// is spawned: when each entered its state, and lifecycle signals for metrics and Events. Not through
// XState's inspection API, which builds an event for every event, microstep and action of every actor
// (promise actors included); the runtime passes that through only when the Stately inspector is on.
import type { AnyActorRef } from "xstate";
import type { ActorKind, LifecycleSignal } from "./observe.js";

/** "up", or "healing.waiting" for nested states. */
export function stateString(value: unknown): string {
  if (typeof value === "string") return value;
  if (value && typeof value === "object") {
    const [key, inner] = Object.entries(value)[0] ?? ["?", undefined];
    return inner === undefined ? key : `${key}.${stateString(inner)}`;
  }
  return String(value);
}

const kindOf = (id: string): ActorKind =>
  id.startsWith("connection/") ? "connection" : id.startsWith("peer/") ? "peer" : "endpoint";

type Snapshot = { value?: unknown; status?: string };

export class ActorTracker {
  /** Keyed by actor id; `ref` tells a finished actor's entry from that of a new one with its id. */
  /** `since` is epoch ms: a Date made for every transition of every actor would be garbage nearly always. */
  private readonly states = new Map<string, { ref: AnyActorRef; state: string; since: number }>();
  private readonly tracked = new WeakSet<AnyActorRef>();
  private readonly listeners = new Set<(signal: LifecycleSignal) => void>();

  /** Follows a machine actor from its current state on; tracking one twice is a no-op. */
  track(ref: AnyActorRef | undefined): void {
    if (!ref || this.tracked.has(ref)) return;
    this.tracked.add(ref);
    this.observe(ref, ref.getSnapshot() as Snapshot);
    ref.subscribe({
      next: (s: Snapshot) => this.observe(ref, s),
      error: () => this.gone(ref),
      complete: () => this.gone(ref),
    });
  }

  /**
   * For an owner that subscribes to the actor itself (the connection actors, thousands of them): its
   * state from now on, with no subscription and no entry of its own here. The owner then passes on
   * every snapshot (`observe`) and the actor's end (`gone`).
   */
  follow(ref: AnyActorRef): void {
    this.observe(ref, ref.getSnapshot() as Snapshot);
  }

  /** The actor ended or broke: it leaves the tree. */
  gone(ref: AnyActorRef): void {
    if (this.states.get(ref.id)?.ref === ref) this.states.delete(ref.id);
  }

  observe(ref: AnyActorRef, snapshot: Snapshot): void {
    if (snapshot.value === undefined || snapshot.status === "stopped") return;
    const id = ref.id;
    const state = stateString(snapshot.value);
    const previous = this.states.get(id);
    const from = previous?.ref === ref ? previous.state : "";
    if (from === state && snapshot.status !== "done") return;
    if (from !== state) this.emit({ type: "transition", actor: kindOf(id), id, from, to: state });
    // A finished actor leaves the tree; keep nothing of it.
    if (snapshot.status === "done") {
      if (previous?.ref === ref) this.states.delete(id);
    } else if (previous?.ref === ref) {
      previous.state = state;
      previous.since = Date.now();
    } else this.states.set(id, { ref, state, since: Date.now() });
  }

  since(id: string): Date | undefined {
    const since = this.states.get(id)?.since;
    return since === undefined ? undefined : new Date(since);
  }

  forget(id: string): void {
    this.states.delete(id);
  }

  emit(signal: LifecycleSignal): void {
    for (const listener of this.listeners) listener(signal);
  }

  onSignal(listener: (signal: LifecycleSignal) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
