// `vl3-nse status --watch` against the real debug server: a new table when a state changes, none
// while nothing changes, and a retry line while the server is away.
import { afterEach, describe, expect, it } from "vitest";
import { type DebugServer, startDebugServer } from "../../../src/debug/server.js";
import { watchStatus } from "../../../src/debug/status-watch.js";
import { silentLogger } from "../../../src/log.js";
import { FakeObservable, sampleMesh } from "../../support/debug/fake-observable.js";
import { eventually } from "../mesh/helpers.js";

describe("status --watch", () => {
  let server: DebugServer | undefined;
  const stop = new AbortController();

  afterEach(async () => {
    stop.abort();
    await server?.close();
  });

  it("writes the table again when a state changes, and only then (into a pipe)", async () => {
    const observable = new FakeObservable(sampleMesh());
    server = await startDebugServer({ port: 0, observable, log: silentLogger() });
    let out = "";
    const done = watchStatus(server.url, {
      write: (t) => (out += t),
      tty: false,
      intervalMs: 50,
      signal: stop.signal,
    });
    await eventually(() => expect(out).toContain("peer/nse-vl3-c"), 10_000);
    const tables = () => out.split("ACTOR").length - 1;
    // Several polls go by with nothing changed: still one table (a sleep, to show nothing happens).
    await new Promise((r) => setTimeout(r, 300));
    expect(tables()).toBe(1);
    observable.current = {
      ...observable.current,
      children: observable.current.children.map((c) =>
        c.id === "peer/nse-vl3-c" ? { ...c, state: "up" } : c,
      ),
    };
    await eventually(() => expect(tables()).toBe(2), 10_000);
    expect(out.split("ACTOR")[2]).toMatch(/peer\/nse-vl3-c\s+up\s/);
    stop.abort();
    await done;
  });

  it("redraws in place on a terminal and reports an unreachable server", async () => {
    let out = "";
    const ctl = new AbortController();
    const done = watchStatus("http://127.0.0.1:9", {
      write: (t) => (out += t),
      tty: true,
      intervalMs: 50,
      signal: ctl.signal,
    });
    await eventually(() => expect(out.split("\x1b[2J").length).toBeGreaterThan(2), 10_000);
    expect(out).toContain("cannot reach the debug server at http://127.0.0.1:9");
    expect(out).toContain("retrying");
    ctl.abort();
    await done;
  });
});
