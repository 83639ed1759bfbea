// /debug/ui in headless Chromium, served by the real debug server over a fake runtime.
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ActorView } from "../../../src/actors/observe.js";
import { type DebugServer, startDebugServer } from "../../../src/debug/server.js";
import { silentLogger } from "../../../src/log.js";
import { hasChromium, launchChromium } from "../../support/debug/chromium.js";
import { actor, FakeObservable, sampleMesh, withServedPeer } from "../../support/debug/fake-observable.js";

/** What the page functions below touch (this project's TypeScript has no DOM lib). */
type PageGlobals = {
  document: {
    body: { dataset: Record<string, string | undefined> };
    querySelector(selector: string): { getAttribute(name: string): string | null } | null;
  };
};

const GREEN = "#22c55e";
const AMBER = "#f59e0b";
const RED = "#ef4444";

describe.skipIf(!hasChromium)("debug UI in headless Chromium (skips if /usr/bin/chromium is missing)", () => {
  let observable: FakeObservable;
  let server: DebugServer;
  let browser: Browser;
  let page: Page;
  const requested: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const since = new Date(Date.now() - 95_000).toISOString();
    observable = new FakeObservable(withServedPeer(sampleMesh(since), since));
    observable.ready = { registered: true, prefix: true, dataplane: false };
    server = await startDebugServer({ port: 0, observable, log: silentLogger() });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on("request", (req) => requested.push(req.url()));
    page.on("pageerror", (err) => pageErrors.push(err.message));
    await page.goto(`${server.url}/debug/ui`);
    await refreshed(page, 1);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("renders; screenshot saved for a person to look at", async () => {
    const path = join(tmpdir(), "vl3-debug-ui.png");
    await page.screenshot({ path, fullPage: true });
    expect(await page.title()).toBe("vL3 NSE · debug");
    expect(await page.locator("#endpoint-name").textContent()).toBe("nse-vl3-a");
    expect(pageErrors).toEqual([]);
  });

  it("draws this endpoint with its four peers, their names, states and prefixes", async () => {
    const peers = await page
      .locator("svg g.peer")
      .evaluateAll((nodes) => nodes.map((n) => ({ id: n.getAttribute("data-id"), text: n.textContent })));
    expect(peers.map((p) => p.id)).toEqual([
      "peer/nse-vl3-b",
      "peer/nse-vl3-c",
      "peer/nse-vl3-d",
      "peer/nse-vl3-0",
    ]);
    expect(peers[0]!.text).toContain("nse-vl3-bup172.16.2.0/24");
    expect(peers[1]!.text).toContain("nse-vl3-crequesting172.16.3.0/24");
    expect(peers[2]!.text).toContain("nse-vl3-dhealing.waiting");
    // The peer that dialled us shows the prefix its served link carries.
    expect(peers[3]!.text).toContain("nse-vl3-0up.linked172.16.9.0/24");
    expect(await page.locator("svg g.self").textContent()).toContain("nse-vl3-aserving");
  });

  it("tells each node's state and since when on hover", async () => {
    const title = await page.locator('svg g.peer[data-id="peer/nse-vl3-d"] > title').textContent();
    expect(title).toMatch(/state: healing\.waiting since .+ \(1m \d+s ago\)/);
    expect(title).toContain("prefix: 172.16.4.0/24");
    const link = await page.locator('svg line.link[data-peer="peer/nse-vl3-0"] > title').textContent();
    expect(link).toContain("nse-vl3-a: serves connection/link-from-0 (up)");
  });

  it("colours each link by its peer's state", async () => {
    expect(await linkColours(page)).toEqual({
      "peer/nse-vl3-b": GREEN,
      "peer/nse-vl3-c": AMBER,
      "peer/nse-vl3-d": RED,
      "peer/nse-vl3-0": GREEN,
    });
  });

  it("draws the four NSC connections with their addresses, and the served peer link as no client", async () => {
    const clients = await page
      .locator("svg g.client")
      .evaluateAll((nodes) => nodes.map((n) => n.getAttribute("data-id") + " " + n.textContent));
    expect(clients).toHaveLength(4);
    for (const n of [2, 3, 4, 5]) expect(clients.join(" ")).toContain(`172.16.1.${n}/32`);
    expect(clients.join(" ")).not.toContain("link-from-0");
    expect(await page.locator("#count-clients").textContent()).toBe("4");
  });

  it("lists every actor in the table with state, since, addresses and last error", async () => {
    const rows = await page
      .locator("#actor-rows tr")
      .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent)));
    expect(rows).toHaveLength(10);
    expect(rows[0]).toEqual([
      "endpoint",
      "endpoint",
      "serving",
      expect.stringMatching(/^\d+m( \d+s)? ago$/),
      "172.16.1.0/32",
      "",
    ]);
    const since = page.locator("#actor-rows tr").first().locator("td").nth(3);
    expect(await since.getAttribute("title")).toBe(observable.current.since);
    const nsc4 = rows.find((r) => r[0] === "connection/nsc-4-7f3c")!;
    expect(nsc4.slice(1, 3)).toEqual(["connection", "healing.allocating"]);
    expect(nsc4[4]).toBe("172.16.1.5/32");
    expect(nsc4[5]).toBe("RESOURCE_EXHAUSTED: no address left in 172.16.1.0/24");
    expect(rows.map((r) => r[4])).toEqual(
      expect.arrayContaining(["172.16.1.2/32", "172.16.1.3/32", "172.16.1.4/32"]),
    );
  });

  it("shows a legend and the readiness parts", async () => {
    const legend = await page.locator("#legend li strong").allTextContents();
    expect(legend).toEqual(["up", "working", "healing", "idle", "other", "NSC"]);
    expect(await page.locator("#ready-registered").getAttribute("class")).toBe("pill ok");
    expect(await page.locator("#ready-dataplane").getAttribute("class")).toBe("pill bad");
    expect(await page.locator("#count-peers").textContent()).toBe("2 / 4");
  });

  it("picks up a change of state on the next refresh", async () => {
    const before = Number(await page.locator("body").getAttribute("data-refreshes"));
    observable.current = withPeerState(observable.current, "peer/nse-vl3-d", "up");
    observable.ready.dataplane = true;
    await page.waitForFunction(
      () =>
        (globalThis as unknown as PageGlobals).document
          .querySelector('line.link[data-peer="peer/nse-vl3-d"]')
          ?.getAttribute("data-state") === "up",
      undefined,
      { timeout: 10_000 },
    );
    expect(Number(await page.locator("body").getAttribute("data-refreshes"))).toBeGreaterThan(before);
    expect((await linkColours(page))["peer/nse-vl3-d"]).toBe(GREEN);
    await refreshed(page, before + 2);
    expect(await page.locator("#ready-dataplane").getAttribute("class")).toBe("pill ok");
    expect(await page.locator("#count-peers").textContent()).toBe("3 / 4");
  });

  it("reaches nothing but the debug server", () => {
    expect(requested.length).toBeGreaterThan(2);
    for (const url of requested) expect(url.startsWith(`${server.url}/`)).toBe(true);
  });
});

describe.skipIf(!hasChromium)(
  "debug UI for a sandbox's whole mesh (skips if /usr/bin/chromium is missing)",
  () => {
    let server: DebugServer;
    let browser: Browser;

    beforeAll(async () => {
      const a = withServedPeer(sampleMesh());
      // nse-vl3-0 sorts first, so it dials nse-vl3-a: a's served link and 0's peer actor are one link.
      const zero = actor({
        id: "endpoint",
        kind: "endpoint",
        state: "serving",
        subject: { name: "nse-vl3-0", prefix: "172.16.9.0/24" },
        routes: ["172.16.9.0/24"],
        children: [
          actor({
            id: "peer/nse-vl3-a",
            kind: "peer",
            state: "up.watching",
            subject: { peer: "nse-vl3-a", role: "dial" },
          }),
          actor({
            id: "connection/nsc-9",
            kind: "connection",
            state: "up",
            subject: { kind: "client" },
            addresses: ["172.16.9.2/32"],
          }),
        ],
      });
      server = await startDebugServer({
        port: 0,
        observable: new FakeObservable(a),
        trees: () => [zero, a],
        log: silentLogger(),
      });
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
      await server?.close();
    });

    it("draws every endpoint, one link per pair, their clients and the peers none of them runs", async () => {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      await page.goto(`${server.url}/debug/ui`);
      await refreshed(page, 1);
      await page.screenshot({ path: join(tmpdir(), "vl3-debug-ui-mesh.png"), fullPage: true });
      const ids = (selector: string, attr: string) =>
        page.locator(selector).evaluateAll((nodes, a) => nodes.map((n) => n.getAttribute(a)), attr);
      expect(await ids("svg g.endpoint", "data-id")).toEqual(["nse-vl3-0", "nse-vl3-a"]);
      expect(await ids("svg g.peer", "data-id")).toEqual([
        "peer/nse-vl3-b",
        "peer/nse-vl3-c",
        "peer/nse-vl3-d",
      ]);
      const links = await ids("svg line.link", "data-link");
      expect(links.filter((l) => l === "nse-vl3-0 ↔ nse-vl3-a")).toHaveLength(1);
      expect(links).toHaveLength(4);
      expect(await page.locator("svg g.client").count()).toBe(5);
      expect(await page.locator("#endpoint-name").textContent()).toBe("sandbox mesh");
      expect(await page.locator("#count-clients").textContent()).toBe("5");
      expect(await page.locator("#actor-rows tr").count()).toBe(13);
    });
  },
);

function refreshed(page: Page, count: number): Promise<unknown> {
  return page.waitForFunction(
    (n) => Number((globalThis as unknown as PageGlobals).document.body.dataset.refreshes) >= n,
    count,
    { timeout: 15_000 },
  );
}

function linkColours(page: Page): Promise<Record<string, string | null>> {
  return page
    .locator("svg line.link")
    .evaluateAll((lines) =>
      Object.fromEntries(lines.map((l) => [l.getAttribute("data-peer"), l.getAttribute("stroke")])),
    );
}

function withPeerState(tree: ActorView, id: string, state: string): ActorView {
  const since = new Date().toISOString();
  return {
    ...tree,
    children: tree.children.map((c) => (c.id === id ? { ...c, state, since, lastError: undefined } : c)),
  };
}
