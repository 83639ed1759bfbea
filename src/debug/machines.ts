// /debug/machines as JSON: each of the runtime's machines (endpoint, peer, connection) as plain data
// read from XState's state nodes: states, nesting, initial states and transitions with their events,
// guards and targets. What the offline state charts (machines-page.ts) are drawn from.
import type { AnyStateMachine } from "xstate";
import { connectionMachine } from "../machines/connection.machine.js";
import { endpointMachine } from "../machines/endpoint.machine.js";
import { peerMachine } from "../machines/peer.machine.js";

export interface TransitionView {
  /** The event as XState names it ("LINK_UP", "xstate.done.actor.0.endpoint.starting", "" for always). */
  event: string;
  /** Short form for a chart: "LINK_UP", "done: start", "after backoff", "always". */
  label: string;
  /** State ids ("peer.healing"); empty for a transition that only runs actions. */
  targets: string[];
  guard?: string;
}

export interface StateView {
  /** "peer.up.watching"; the path after the machine id is the dotted state value actors report. */
  id: string;
  /** "up.watching" (empty for the machine's root). */
  path: string;
  key: string;
  type: string;
  initial?: string;
  invokes: string[];
  transitions: TransitionView[];
  states: StateView[];
}

export interface MachineView {
  id: string;
  root: StateView;
}

/** What a state node exposes that this reads (XState's StateNode, loosely typed). */
interface Node {
  id: string;
  key: string;
  type: string;
  path: string[];
  states: Record<string, Node>;
  initial?: { target?: Node[] };
  invoke: { src: unknown; id?: string }[];
  transitions: Map<string, Transition[]>;
  always?: Transition[];
}
interface Transition {
  eventType: string;
  target?: Node[];
  guard?: unknown;
}

const MACHINES: AnyStateMachine[] = [endpointMachine, peerMachine, connectionMachine];

/** Every machine of the runtime, outermost first. */
export function machineViews(): MachineView[] {
  return MACHINES.map((m) => ({ id: m.id, root: stateView(m.root as unknown as Node) }));
}

function stateView(node: Node): StateView {
  const invokes = node.invoke.map((i) => (typeof i.src === "string" ? i.src : (i.id ?? "actor")));
  const transitions: TransitionView[] = [];
  for (const list of [...node.transitions.values(), node.always ?? []]) {
    for (const t of list) transitions.push(transitionView(t, node, invokes));
  }
  return {
    id: node.id,
    path: node.path.join("."),
    key: node.key,
    type: node.type,
    initial: node.initial?.target?.[0]?.id,
    invokes,
    transitions,
    states: Object.values(node.states).map(stateView),
  };
}

function transitionView(t: Transition, node: Node, invokes: string[]): TransitionView {
  const view: TransitionView = {
    event: t.eventType,
    label: label(t.eventType, node, invokes),
    targets: (t.target ?? []).map((n) => n.id),
  };
  const guard = guardName(t.guard);
  if (guard) view.guard = guard;
  return view;
}

/** XState's internal event names told shortly, naming the invoked actor or the delay. */
function label(event: string, node: Node, invokes: string[]): string {
  if (event === "") return "always";
  const actor = /^xstate\.(done|error)\.actor\./.exec(event);
  if (actor) return `${actor[1]}: ${invokes[0] ?? event.slice(actor[0].length)}`;
  const after = /^xstate\.after\.([^.]+)\./.exec(event);
  if (after) return `after ${after[1]}`;
  return event.replace(`.${node.id}`, "");
}

function guardName(guard: unknown): string | undefined {
  if (!guard) return undefined;
  if (typeof guard === "string") return guard;
  if (typeof guard === "object" && typeof (guard as { type?: unknown }).type === "string")
    return (guard as { type: string }).type;
  return "guard";
}
