// The Stately inspector bridge must never keep the endpoint's process alive once stopped.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer, type Server } from "node:net";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { startInspector } from "../../../src/debug/inspect.js";
import { silentLogger } from "../../../src/log.js";

const CHILD = fileURLToPath(new URL("../../support/debug/inspector-child.ts", import.meta.url));
const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const EXIT_WAIT_MS = 15_000;

describe("startInspector", () => {
  let child: ChildProcess | undefined;
  let browser: WebSocket | undefined;
  let blocker: Server | undefined;

  afterEach(async () => {
    browser?.close();
    if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    if (blocker) await new Promise((resolve) => blocker!.close(resolve));
    child = browser = blocker = undefined;
  });

  it("relays actor events to a connected browser, then exits by itself after stop()", async () => {
    const port = await freePort();
    child = startChild(port, "wait");
    await lineFrom(child, "ready");

    const page = await fetch(`http://localhost:${port}/`);
    const html = await page.text();
    expect(html).toContain('src="https://stately.ai/inspect"');
    expect(html).toContain(`new WebSocket("ws://localhost:${port}")`);

    // Stand in for the bridge page in the person's browser.
    const messages: { type: string; snapshot?: { value?: unknown } }[] = [];
    browser = new WebSocket(`ws://localhost:${port}`);
    browser.addEventListener("message", (ev) => messages.push(JSON.parse(String(ev.data))));
    await once(browser, "open");
    const browserClosed = once(browser, "close");

    child.stdin!.write("OK\n");
    await until(() => messages.some((m) => m.type === "@xstate.snapshot" && m.snapshot?.value === "up"));
    expect(messages.some((m) => m.type === "@xstate.actor")).toBe(true);

    child.stdin!.end();
    const [code] = await exited(child);
    expect(code).toBe(0);
    await browserClosed;
  });

  it("sends a browser that connects late every live actor's registration and current snapshot", async () => {
    const port = await freePort();
    child = startChild(port, "wait");
    const output = collect(child);
    await until(() => output().includes("ready"), 20_000);
    child.stdin!.write("OK\n");
    child.stdin!.write("churn\n");
    await until(() => output().includes("churned"), 20_000);

    // More than the stock bridge's 200 messages went by: the first actor must still be drawn.
    const messages: { type: string; name?: string; sessionId: string; snapshot?: { value?: unknown } }[] = [];
    browser = new WebSocket(`ws://localhost:${port}`);
    browser.addEventListener("message", (ev) => messages.push(JSON.parse(String(ev.data))));
    await once(browser, "open");
    await until(() => messages.some((m) => m.type === "@xstate.snapshot"));
    const registrations = messages.filter((m) => m.type === "@xstate.actor");
    expect(registrations.map((m) => m.name)).toEqual(["peer"]);
    const snapshot = messages.find((m) => m.type === "@xstate.snapshot")!;
    expect(snapshot.sessionId).toBe(registrations[0]!.sessionId);
    expect(snapshot.snapshot?.value).toBe("up");
    child.stdin!.end();
    expect((await exited(child))[0]).toBe(0);
  });

  it("exits by itself when stopped while its socket is still connecting", async () => {
    const port = await freePort();
    child = startChild(port, "immediate");
    const output = collect(child);
    const [code] = await exited(child);
    expect(code).toBe(0);
    expect(output()).toContain("stopped");
  });

  it("refuses a port that is taken instead of crashing the process", async () => {
    const port = await freePort();
    blocker = createServer().listen(port);
    await once(blocker, "listening");
    await expect(startInspector({ port, log: silentLogger() })).rejects.toThrow(
      /port \d+ is not available \(EADDRINUSE\)/,
    );
    await expect(startInspector({ port: 0, log: silentLogger() })).rejects.toThrow(/not 1-65535/);
  });
});

function startChild(port: number, mode: string): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", CHILD, String(port), mode], {
    cwd: REPO,
    stdio: ["pipe", "pipe", "inherit"],
  });
}

function collect(child: ChildProcess): () => string {
  let out = "";
  child.stdout!.on("data", (chunk) => {
    out += chunk;
  });
  return () => out;
}

async function lineFrom(child: ChildProcess, line: string): Promise<void> {
  const output = collect(child);
  await until(() => output().split("\n").includes(line), 20_000);
}

/** Resolves with [code, signal] once the child exits on its own; fails after EXIT_WAIT_MS. */
function exited(child: ChildProcess): Promise<[number | null, NodeJS.Signals | null]> {
  if (child.exitCode !== null) return Promise.resolve([child.exitCode, child.signalCode]);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`child still running ${EXIT_WAIT_MS} ms after stop()`)),
      EXIT_WAIT_MS,
    );
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      resolve([code, signal]);
    });
  });
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.once("error", reject);
  });
}
