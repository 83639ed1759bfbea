// What the inspector bridge remembers: for every live actor its registration and its latest snapshot
// (as Stately inspection messages, JSON), replayed to a browser that connects; an actor that is done,
// stopped or broken is forgotten. Pure; the bridge page is here too, since it is only text.

/** The parts of a Stately inspection message this reads. */
export interface StatelyMessage {
  type: string;
  sessionId: string;
  name?: string;
  definition?: string;
  snapshot?: { status?: string };
}

export class LiveActors {
  private readonly actors = new Map<string, { registration: string; snapshot?: string }>();
  /** One string per machine definition: thousands of connection actors share one. */
  private readonly definitions = new Map<string, string>();

  /** Records `event` and returns it as the JSON to relay. */
  note(event: StatelyMessage): string {
    if (event.type === "@xstate.actor" && typeof event.definition === "string") {
      const key = event.name ?? "";
      const known = this.definitions.get(key);
      if (known === event.definition) event.definition = known;
      else this.definitions.set(key, event.definition);
    }
    const message = JSON.stringify(event);
    const status = event.snapshot?.status;
    if (status !== undefined && status !== "active") this.actors.delete(event.sessionId);
    else if (event.type === "@xstate.actor") this.actors.set(event.sessionId, { registration: message });
    else if (event.type === "@xstate.snapshot") {
      const actor = this.actors.get(event.sessionId);
      if (actor) actor.snapshot = message;
    }
    return message;
  }

  /** Every live actor's registration then its latest snapshot, in the order they were registered. */
  *replay(): Generator<string> {
    for (const { registration, snapshot } of this.actors.values()) {
      yield registration;
      if (snapshot) yield snapshot;
    }
  }

  get size(): number {
    return this.actors.size;
  }
}

/**
 * The page a person opens: Stately's inspector in a frame, fed from ws://localhost:<port> once the
 * frame says it is listening (messages that come before are held).
 */
export function bridgePage(port: number): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>vl3-nse · Stately inspector</title>
<style>html, body { margin: 0; height: 100%; } iframe { border: 0; width: 100%; height: 100%; }</style></head>
<body>
<iframe id="inspector" src="https://stately.ai/inspect"></iframe>
<script>
const frame = document.getElementById("inspector");
const held = [];
let listening = false;
window.addEventListener("message", (e) => {
  if (!e.data || e.data.type !== "@statelyai.connected") return;
  listening = true;
  for (const m of held.splice(0)) frame.contentWindow.postMessage(m, "*");
});
const ws = new WebSocket("ws://localhost:${port}");
ws.onmessage = (e) => {
  const m = JSON.parse(e.data);
  if (listening) frame.contentWindow.postMessage(m, "*");
  else held.push(m);
};
</script>
</body>
</html>
`;
}
