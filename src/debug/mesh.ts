// One debug server for several endpoints in one process (the demo's sandbox): /debug/mesh and the UI
// show every endpoint's tree; /debug/actors, the snapshots and /metrics show the first endpoint
// (ids such as "endpoint" repeat across trees); ready when every endpoint is.
import type { ActorView, LifecycleSignal, Observable } from "../actors/observe.js";

export interface MeshObservable extends Observable {
  /** Every endpoint's tree, in the order given. */
  trees(): ActorView[];
}

/** `endpoints` is asked each time, so endpoints started or stopped later are seen. */
export function meshObservable(endpoints: () => Observable[]): MeshObservable {
  const first = (): Observable => {
    const [head] = endpoints();
    if (!head) throw new Error("the mesh has no endpoint yet");
    return head;
  };
  return {
    trees: () => endpoints().map((e) => e.tree()),
    tree: () => first().tree(),
    persistedSnapshot: (id) => first().persistedSnapshot(id),
    onSignal: (listener: (signal: LifecycleSignal) => void) => first().onSignal(listener),
    readiness: () => {
      const all = endpoints().map((e) => e.readiness());
      return {
        registered: all.length > 0 && all.every((r) => r.registered),
        prefix: all.length > 0 && all.every((r) => r.prefix),
        dataplane: all.length > 0 && all.every((r) => r.dataplane),
      };
    },
  };
}
