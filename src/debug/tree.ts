// Walking the runtime's actor tree: shared by the debug routes, the metrics and `vl3-nse status`.
import type { ActorView } from "../actors/observe.js";

/** The actor with this id anywhere in the tree, or undefined. */
export function findActor(root: ActorView, id: string): ActorView | undefined {
  const stack = [root];
  while (stack.length > 0) {
    const view = stack.pop()!;
    if (view.id === id) return view;
    stack.push(...view.children);
  }
  return undefined;
}

/** Every actor, parents before children, each with its depth (the root is 0). */
export function flatten(root: ActorView): { view: ActorView; depth: number }[] {
  const out: { view: ActorView; depth: number }[] = [];
  const visit = (view: ActorView, depth: number) => {
    out.push({ view, depth });
    for (const child of view.children) visit(child, depth + 1);
  };
  visit(root, 0);
  return out;
}
