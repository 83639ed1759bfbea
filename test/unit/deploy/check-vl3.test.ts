import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../../..");
const SCRIPT = join(ROOT, "deploy/check-vl3.sh");
const FAKE = join(ROOT, "test/support/k8s/fake-kubectl.sh");

const ipAddr = (a: string, dev = "nsm-1") =>
  `7: ${dev}    ${a.includes(":") ? "inet6" : "inet"} ${a}/${a.includes(":") ? 128 : 32} scope global ${dev}\\       valid_lft forever preferred_lft forever\n`;

describe("deploy/check-vl3.sh, with a stand-in kubectl", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "vl3-check-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Client pods with their nsm-1 address (and node, as "addr@node"); one endpoint with `nse`. */
  const cluster = (
    pods: Record<string, string | undefined>,
    unreachable: string[] = [],
    nse = "172.16.0.1",
  ) => {
    writeFileSync(join(dir, "pods"), Object.keys(pods).join(" "));
    for (const [pod, spec] of Object.entries(pods)) {
      const [addr, node] = (spec ?? "").split("@");
      if (addr) writeFileSync(join(dir, `addr.${pod}`), ipAddr(addr));
      if (node) writeFileSync(join(dir, `node.${pod}`), node);
    }
    writeFileSync(join(dir, "nseaddr.vl3-nse-a"), ipAddr(nse, "nsc-abc"));
    writeFileSync(join(dir, "unreachable"), unreachable.map((u) => `${u}\n`).join(""));
  };
  const run = (...args: string[]) => {
    const r = spawnSync("bash", [SCRIPT, ...args], {
      env: { ...process.env, KUBECTL: FAKE, FAKE_KUBECTL_DIR: dir },
      encoding: "utf8",
      timeout: 20_000,
    });
    return { code: r.status, out: r.stdout + r.stderr };
  };

  it("passes when every pod reaches every other one", () => {
    cluster({ "hello-a": "172.16.0.2", "hello-b": "172.16.1.2", "hello-c": "172.16.2.2" });
    const { code, out } = run();
    expect(out).toContain("vL3 check: all 6 pairs reachable (0 across nodes), 1 endpoints answer");
    expect(out).toContain("ok: hello-a -> endpoint vl3-nse-a (172.16.0.1)");
    expect(out).toContain("note: every client runs on one node");
    expect(code).toBe(0);
  });

  it("checks pairs across nodes: passes when one got through, fails when none did", () => {
    cluster({ "hello-a": "172.16.0.2@node-a", "hello-b": "172.16.1.2@node-b" });
    expect(run()).toMatchObject({
      code: 0,
      out: expect.stringContaining("all 2 pairs reachable (2 across nodes)"),
    });
    cluster({ "hello-a": "172.16.0.2@node-a", "hello-b": "172.16.1.2@node-b" }, [
      "hello-a 172.16.1.2",
      "hello-b 172.16.0.2",
    ]);
    expect(run()).toMatchObject({
      code: 1,
      out: expect.stringContaining("the clients run on 2 nodes but no pair across nodes got through"),
    });
  });

  it("fails when a client cannot ping an endpoint's own vL3 address", () => {
    cluster({ "hello-a": "172.16.0.2", "hello-b": "172.16.1.2" }, ["hello-b 172.16.0.1"]);
    const { code, out } = run();
    expect(out).toContain("FAIL: hello-b -> endpoint vl3-nse-a (172.16.0.1)");
    expect(code).toBe(1);
  });

  it("handles an IPv6 pool", () => {
    cluster({ "hello-a": "fd00:10::2", "hello-b": "fd00:10:0:1::2" }, [], "fd00:10::1");
    const { code, out } = run("--pool", "fd00:10::/48");
    expect(out).toContain("ok: hello-a -> hello-b (fd00:10:0:1::2)");
    expect(out).toContain("ok: hello-b -> endpoint vl3-nse-a (fd00:10::1)");
    expect(code).toBe(0);
    expect(run("--pool", "fd00:11::/48").out).toContain("hello-a: no address of fd00:11::/48 on nsm-1");
  });

  it("fails when one pair cannot reach the other", () => {
    cluster({ "hello-a": "172.16.0.2", "hello-b": "172.16.1.2" }, ["hello-b 172.16.0.2"]);
    const { code, out } = run();
    expect(out).toMatch(/FAIL: hello-b -> hello-a \(172\.16\.0\.2\): wget: download timed out/);
    expect(out).toContain("ok: hello-a -> hello-b");
    expect(code).toBe(1);
  });

  it("fails when a pod has no nsm-1 or no address in the pool", () => {
    cluster({ "hello-a": "172.16.0.2", "hello-b": undefined });
    expect(run()).toMatchObject({ code: 1, out: expect.stringContaining("hello-b: no nsm-1 interface") });
    cluster({ "hello-a": "172.16.0.2", "hello-b": "198.18.0.2" });
    expect(run()).toMatchObject({
      code: 1,
      out: expect.stringContaining("hello-b: no address of 172.16.0.0/16 on nsm-1"),
    });
    expect(run("--pool", "198.18.0.0/15").code).toBe(1); // hello-a is now outside
  });

  it("fails with fewer than two pods and when pods never get ready", () => {
    cluster({ "hello-a": "172.16.0.2" });
    expect(run()).toMatchObject({ code: 1, out: expect.stringContaining("need at least 2 client pods") });
    cluster({ "hello-a": "172.16.0.2", "hello-b": "172.16.1.2" });
    writeFileSync(join(dir, "notready"), "");
    expect(run()).toMatchObject({ code: 1, out: expect.stringContaining("client pods are not ready") });
  });

  it("rejects an unknown argument", () => {
    expect(run("--bogus").code).toBe(2);
  });
});
