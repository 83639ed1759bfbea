// Helpers to walk a machine's graph with @xstate/graph: the events a pure traversal needs (the done
// and error events of every invocation, every delayed transition) and the states a set of paths reaches.
import type { AnyStateMachine, StateValue } from "xstate";

interface NodeLike {
  id: string;
  key: string;
  states: Record<string, NodeLike>;
  invoke: Array<{ id: string; src: unknown }>;
  after: Array<{ eventType: string }>;
}

/** Every state node of the machine below the root, by id ("connection.healing.waiting"). */
export function stateIds(machine: AnyStateMachine): string[] {
  const out: string[] = [];
  const walk = (n: NodeLike) => {
    for (const child of Object.values(n.states)) {
      out.push(child.id);
      walk(child);
    }
  };
  walk(machine.root as unknown as NodeLike);
  return out;
}

/** The ids of the state nodes active in `value`, prefixed with the machine id. */
export function activeIds(machineId: string, value: StateValue): string[] {
  if (typeof value === "string") return [`${machineId}.${value}`];
  return Object.entries(value).flatMap(([key, sub]) => [
    `${machineId}.${key}`,
    ...(sub ? activeIds(`${machineId}.${key}`, sub as StateValue) : []),
  ]);
}

export type GraphEvent = { type: string; [key: string]: unknown };

/**
 * The events that stand in for the actors and timers in a pure walk: for each invocation a done
 * event per output listed for its `src` (one without output if none is listed) and one error event
 * per listed error; for each delayed transition its `xstate.after...` event.
 */
export function actorEvents(
  machine: AnyStateMachine,
  o: { outputs?: Record<string, unknown[]>; errors?: unknown[] } = {},
): GraphEvent[] {
  const events: GraphEvent[] = [];
  const walk = (n: NodeLike) => {
    for (const inv of n.invoke) {
      const src = typeof inv.src === "string" ? inv.src : "";
      for (const output of o.outputs?.[src] ?? [undefined])
        events.push({ type: `xstate.done.actor.${inv.id}`, output });
      for (const error of o.errors ?? [new Error("fake failure")])
        events.push({ type: `xstate.error.actor.${inv.id}`, error });
    }
    for (const t of n.after) events.push({ type: t.eventType });
    for (const child of Object.values(n.states)) walk(child);
  };
  walk(machine.root as unknown as NodeLike);
  return events;
}
