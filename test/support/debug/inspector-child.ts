// A process with the Stately inspector on, for the test that it exits by itself after stop().
// argv: <port> <mode>. "immediate": stop right after start (the inspector's socket is still
// connecting). "wait": print "ready"; on each stdin line "OK" send OK to the actor, on "churn" start
// and finish 250 short-lived actors, then print "churned"; stop at stdin's end.
import { createActor, createMachine } from "xstate";
import { startInspector } from "../../../src/debug/inspect.js";
import { silentLogger } from "../../../src/log.js";

const port = Number(process.argv[2]);
const mode = process.argv[3];
const inspector = await startInspector({ port, log: silentLogger() });
const machine = createMachine({
  id: "peer",
  initial: "requesting",
  states: { requesting: { on: { OK: "up" } }, up: {} },
});
const actor = createActor(machine, { inspect: inspector.inspect }).start();

const stop = async () => {
  actor.stop();
  await inspector.stop();
  console.log("stopped");
};

if (mode === "immediate") {
  await stop();
} else {
  process.stdin.setEncoding("utf8");
  const brief = createMachine({
    id: "brief",
    initial: "on",
    states: { on: { on: { END: "off" } }, off: { type: "final" } },
  });
  process.stdin.on("data", (chunk: string) => {
    for (const line of chunk.split("\n").filter(Boolean)) command(line);
  });
  const command = (line: string) => {
    if (line === "churn") {
      for (let i = 0; i < 250; i++)
        createActor(brief, { inspect: inspector.inspect }).start().send({ type: "END" });
      setTimeout(() => console.log("churned"), 50);
    } else actor.send({ type: "OK" });
  };
  process.stdin.on("end", () => void stop());
  console.log("ready");
}
