// /debug/machines: each machine's definition as JSON, and the state charts drawn offline in headless
// Chromium (elk.js from this server), with the live actors counted per state and kept current.
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MachineView, StateView } from "../../../src/debug/machines.js";
import { type DebugServer, startDebugServer } from "../../../src/debug/server.js";
import { silentLogger } from "../../../src/log.js";
import { hasChromium, launchChromium } from "../../support/debug/chromium.js";
import { FakeObservable, sampleMesh, withServedPeer } from "../../support/debug/fake-observable.js";

type PageGlobals = {
  document: { querySelector(s: string): { getAttribute(n: string): string | null } | null };
};

function find(state: StateView, path: string): StateView | undefined {
  if (state.path === path) return state;
  for (const s of state.states) {
    const hit = find(s, path);
    if (hit) return hit;
  }
  return undefined;
}

describe("/debug/machines as JSON", () => {
  let server: DebugServer;

  beforeAll(async () => {
    const observable = new FakeObservable(withServedPeer(sampleMesh()));
    server = await startDebugServer({ port: 0, observable, log: silentLogger() });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("serves each machine's definition as JSON to a program", async () => {
    const res = await fetch(`${server.url}/debug/machines`);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const machines = (await res.json()) as MachineView[];
    expect(machines.map((m) => m.id)).toEqual(["endpoint", "peer", "connection"]);
    const peer = machines[1]!.root;
    expect(peer.initial).toBe("peer.starting");
    expect(find(peer, "up")!.states.map((s) => s.key)).toEqual([
      "watching",
      "refreshing",
      "reprogramming",
      "linked",
    ]);
    expect(find(peer, "accepting")!.transitions).toContainEqual({
      event: "LINK_UP",
      label: "LINK_UP",
      targets: ["peer.up.linked"],
    });
    expect(find(peer, "requesting")!.transitions.map((t) => t.label)).toContain("REQUESTED");
    const endpoint = machines[0]!.root;
    expect(find(endpoint, "starting")!.transitions.map((t) => t.label)).toContain("done: start");
    expect(find(peer, "healing")!.transitions.map((t) => t.label)).toContain("after backoff");
    const html = await fetch(`${server.url}/debug/machines?format=json`, {
      headers: { accept: "text/html" },
    });
    expect(html.headers.get("content-type")).toMatch(/^application\/json/);
  });
});

describe.skipIf(!hasChromium)(
  "/debug/machines drawn in headless Chromium (skips if /usr/bin/chromium is missing)",
  () => {
    let observable: FakeObservable;
    let server: DebugServer;
    let browser: Browser;
    let page: Page;
    const requested: string[] = [];
    const pageErrors: string[] = [];

    beforeAll(async () => {
      observable = new FakeObservable(withServedPeer(sampleMesh()));
      server = await startDebugServer({ port: 0, observable, log: silentLogger() });
      browser = await launchChromium();
      page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      page.on("request", (req) => requested.push(req.url()));
      page.on("pageerror", (err) => pageErrors.push(err.message));
      page.on("console", (m) => m.type() === "error" && pageErrors.push(m.text()));
      await page.goto(`${server.url}/debug/machines`);
      await page.waitForFunction(
        () => {
          const body = (globalThis as unknown as PageGlobals).document.querySelector("body");
          return Number(body?.getAttribute("data-refreshes")) >= 1;
        },
        undefined,
        { timeout: 30_000 },
      );
    });
    afterAll(async () => {
      await browser?.close();
      await server?.close();
    });

    const count = (machine: string, state: string) =>
      page
        .locator(`svg[data-machine="${machine}"] g.state[data-state="${state}"] > g.badge`)
        .getAttribute("data-count");

    it("draws the three machines with every state and transition", async () => {
      await page.screenshot({ path: join(tmpdir(), "vl3-debug-machines.png"), fullPage: true });
      expect(pageErrors).toEqual([]);
      expect(await page.locator("svg[data-machine]").count()).toBe(3);
      expect(await page.locator('svg[data-machine="peer"] g.state').count()).toBe(13);
      expect(
        await page.locator('svg[data-machine="connection"] g.state[data-state="healing.waiting"]').count(),
      ).toBe(1);
      expect(await page.locator('svg[data-machine="peer"] polyline.transition').count()).toBeGreaterThan(15);
      expect(await page.locator('svg[data-machine="peer"] text.edge-label').allTextContents()).toContain(
        "LINK_UP",
      );
    });

    it("counts the live actors in each state", async () => {
      expect(await count("endpoint", "serving")).toBe("1");
      expect(await count("peer", "up")).toBe("2"); // nse-vl3-b up, nse-vl3-0 up.linked
      expect(await count("peer", "up.linked")).toBe("1");
      expect(await count("peer", "requesting")).toBe("1");
      expect(await count("connection", "up")).toBe("3"); // two NSCs and the served peer link
      expect(await count("connection", "healing")).toBe("1");
      expect(await count("connection", "healing.allocating")).toBe("1");
      expect(await count("connection", "closed")).toBe("0");
    });

    it("refreshes the counts by itself", async () => {
      const tree = observable.current;
      observable.current = {
        ...tree,
        children: tree.children.map((c) => (c.id === "peer/nse-vl3-c" ? { ...c, state: "up.watching" } : c)),
      };
      await page.waitForFunction(
        () =>
          (globalThis as unknown as PageGlobals).document
            .querySelector('svg[data-machine="peer"] g.state[data-state="up"] > g.badge')
            ?.getAttribute("data-count") === "3",
        undefined,
        { timeout: 15_000 },
      );
      expect(await count("peer", "requesting")).toBe("0");
      expect(await count("peer", "up.watching")).toBe("1");
    });

    it("reaches nothing but the debug server", () => {
      expect(requested.some((u) => u.endsWith("/debug/machines/elk.js"))).toBe(true);
      for (const url of requested) expect(url.startsWith(`${server.url}/`)).toBe(true);
    });
  },
);
