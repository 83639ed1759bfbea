import { spawn } from "node:child_process";
import { connect } from "node:net";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ActorView } from "../../../src/actors/observe.js";
import { type DebugServer, startDebugServer } from "../../../src/debug/server.js";
import { fetchTree, formatStatus } from "../../../src/debug/status.js";
import { silentLogger } from "../../../src/log.js";
import { FakeObservable, sampleMesh } from "../../support/debug/fake-observable.js";

describe("debug server", () => {
  let observable: FakeObservable;
  let server: DebugServer;

  beforeEach(async () => {
    observable = new FakeObservable(sampleMesh());
    server = await startDebugServer({ port: 0, observable, log: silentLogger() });
  });
  afterEach(async () => {
    await server.close();
  });

  const get = (path: string, init?: RequestInit) => fetch(server.url + path, init);

  it("binds loopback by default", () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it("serves the actor tree as JSON", async () => {
    const res = await get("/debug/actors");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const tree = await res.json();
    expect(tree).toEqual(sampleMesh());
  });

  it.each([
    ["raw", "/debug/actors/connection/nsc-1-7f3c"],
    ["percent-encoded", "/debug/actors/connection%2Fnsc-1-7f3c"],
  ])("serves one actor by an id containing '/' (%s)", async (_how, path) => {
    const res = await get(path);
    expect(res.status).toBe(200);
    const view = (await res.json()) as ActorView;
    expect(view.id).toBe("connection/nsc-1-7f3c");
    expect(view.addresses).toEqual(["172.16.1.2/32"]);
  });

  it("answers 404 for an unknown actor and 400 for broken percent-encoding", async () => {
    const res = await get("/debug/actors/connection/nope");
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: "no such actor", id: "connection/nope" });
    expect((await get("/debug/actors/connection%E0%A4%A")).status).toBe(400);
  });

  it("serves a persisted snapshot, 404 when there is none", async () => {
    const snapshot = {
      status: "active",
      value: "up",
      context: { id: "nsc-1-7f3c", generation: 3 },
      children: {},
    };
    observable.snapshots.set("connection/nsc-1-7f3c", snapshot);
    const res = await get("/debug/actors/connection%2Fnsc-1-7f3c?snapshot=1");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(snapshot);
    const none = await get("/debug/actors/peer/nse-vl3-b?snapshot=1");
    expect(none.status).toBe(404);
    expect(((await none.json()) as { error: string }).error).toMatch(/no snapshot/);
  });

  it("serves Prometheus text that follows the runtime's signals", async () => {
    let res = await get("/metrics");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    let text = await res.text();
    expect(text).toContain('vl3_actors{machine="peer",state="requesting"} 1');
    expect(text).not.toContain("vl3_requests_total{");

    observable.emit({
      type: "request",
      kind: "client",
      outcome: "error",
      code: "RESOURCE_EXHAUSTED",
      seconds: 0.01,
    });
    observable.emit({ type: "peer", name: "nse-vl3-b", up: true });
    res = await get("/metrics");
    text = await res.text();
    expect(text).toContain('vl3_requests_total{kind="client",outcome="error",code="RESOURCE_EXHAUSTED"} 1');
    expect(text).toContain("vl3_peers_up 1");
  });

  it("answers /healthz while serving", async () => {
    const res = await get("/healthz");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, listening: "starting" });
  });

  it("flips /readyz once registered, holding a prefix and resynced", async () => {
    let res = await get("/readyz");
    expect(res.status).toBe(503);
    let body = (await res.json()) as { missing: string[]; message: string };
    expect(body).toMatchObject({ ready: false, missing: ["registered", "prefix", "dataplane"] });

    observable.ready = { registered: true, prefix: true, dataplane: false };
    res = await get("/readyz");
    expect(res.status).toBe(503);
    body = (await res.json()) as typeof body;
    expect(body.missing).toEqual(["dataplane"]);
    expect(body.message).toBe("not ready: data plane not resynced");

    observable.ready.dataplane = true;
    res = await get("/readyz");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ready: true, registered: true, prefix: true, dataplane: true });
  });

  it("serves the UI page, self-contained", async () => {
    const res = await get("/debug/ui");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    const page = await res.text();
    expect(page).toContain('<svg id="graph"');
    expect(page).not.toMatch(/(src|href)="https?:/);
  });

  it("answers 404 JSON for unknown paths and 405 for other methods", async () => {
    const unknown = await get("/debug/nothing");
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: "not found", path: "/debug/nothing" });
    const post = await get("/debug/actors", { method: "POST", body: "{}" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
    expect((await get("/readyz", { method: "DELETE" })).status).toBe(405);
    const head = await get("/healthz", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
  });

  it("answers 500 when the runtime throws", async () => {
    observable.tree = () => {
      throw new Error("tree unavailable");
    };
    const res = await get("/debug/actors");
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: "tree unavailable" });
  });

  it("feeds `vl3-nse status`", async () => {
    const tree = await fetchTree(server.url);
    expect(formatStatus(tree)).toContain("└─ connection/nsc-4-7f3c");
    await expect(fetchTree(`${server.url}/prefix/`)).resolves.toMatchObject({ id: "endpoint" });
  });
});

describe("debug server close()", () => {
  it("drops connections that are mid-request and detaches from signals", async () => {
    const observable = new FakeObservable(sampleMesh());
    const server = await startDebugServer({ port: 0, observable, log: silentLogger() });
    const { port } = new URL(server.url);
    expect(observable.listenerCount).toBe(1);

    // A client that sent half a request: not idle, so server.close() alone would wait for it.
    const socket = connect(Number(port), "127.0.0.1");
    await new Promise<void>((resolve) => socket.once("connect", resolve));
    socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n");
    const socketClosed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    socket.on("error", () => {});
    // A keep-alive connection from fetch, idle in its pool.
    expect((await fetch(server.url + "/healthz")).status).toBe(200);

    await server.close();
    await socketClosed;
    expect(observable.listenerCount).toBe(0);
    await expect(fetchTree(server.url, 2000)).rejects.toThrow(/cannot reach the debug server .*ECONNREFUSED/);
  });
});

describe("a process with the debug server", () => {
  it("exits by itself once the server is closed", async () => {
    const script = fileURLToPath(new URL("../../support/debug/server-child.ts", import.meta.url));
    const child = spawn(process.execPath, ["--import", "tsx", script], {
      cwd: fileURLToPath(new URL("../../../", import.meta.url)),
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
    });
    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error("still running 15 s after close()"));
      }, 15_000);
      child.once("exit", (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect(code).toBe(0);
    expect(out).toBe("closed\n");
  });
});
