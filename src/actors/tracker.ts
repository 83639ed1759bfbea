// Watches every actor of the endpoint's system (XState's inspection API): when each entered its
// state, and lifecycle signals for metrics and Events. Also forwards to the Stately inspector.
import type { InspectionEvent } from "xstate";
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

export class ActorTracker {
  private readonly states = new Map<string, { state: string; since: Date }>();
  private readonly listeners = new Set<(signal: LifecycleSignal) => void>();

  constructor(private readonly forward?: (event: InspectionEvent) => void) {}

  readonly inspect = (event: InspectionEvent): void => {
    this.forward?.(event);
    if (event.type !== "@xstate.snapshot") return;
    const id = (event.actorRef as { id?: string }).id ?? "";
    const snapshot = event.snapshot as { value?: unknown; status?: string };
    if (snapshot.value === undefined) return; // promise and callback actors have no state value
    if (snapshot.status === "stopped") {
      this.states.delete(id);
      return;
    }
    const state = stateString(snapshot.value);
    const previous = this.states.get(id);
    if (previous?.state === state) return;
    this.emit({ type: "transition", actor: kindOf(id), id, from: previous?.state ?? "", to: state });
    // A finished actor leaves the tree; keep nothing of it.
    if (snapshot.status === "done") this.states.delete(id);
    else this.states.set(id, { state, since: new Date() });
  };

  since(id: string): Date | undefined {
    return this.states.get(id)?.since;
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
