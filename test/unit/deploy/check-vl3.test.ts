import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../../..");
const SCRIPT = join(ROOT, "deploy/check-vl3.sh");
const FAKE = join(ROOT, "test/support/k8s/fake-kubectl.sh");

const ipAddr = (a: string) =>
  `7: nsm-1    inet ${a}/32 scope global nsm-1\\       valid_lft forever preferred_lft forever\n`;

describe("deploy/check-vl3.sh, with a stand-in kubectl", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "vl3-check-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const cluster = (pods: Record<string, string | undefined>, unreachable: string[] = []) => {
    writeFileSync(join(dir, "pods"), Object.keys(pods).join(" "));
    for (const [pod, addr] of Object.entries(pods))
      if (addr) writeFileSync(join(dir, `addr.${pod}`), ipAddr(addr));
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
    expect(out).toContain("vL3 check: all 6 pairs reachable");
    expect(code).toBe(0);
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
    expect(run()).toMatchObject({ code: 1, out: expect.stringContaining("need at least 2 helloworld pods") });
    cluster({ "hello-a": "172.16.0.2", "hello-b": "172.16.1.2" });
    writeFileSync(join(dir, "notready"), "");
    expect(run()).toMatchObject({ code: 1, out: expect.stringContaining("helloworld pods are not ready") });
  });

  it("rejects an unknown argument", () => {
    expect(run("--bogus").code).toBe(2);
  });
});
