// `vl3-nse workload-api` as a real child process: a client fetches an SVID for the ID asked for on
// the socket it names; SIGTERM stops it with exit 0; missing or bad flags exit 2 naming the flag.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../../src/log.js";
import { WorkloadApiSource } from "../../../src/security/svid.js";

const BIN = join(import.meta.dirname, "../../../bin/vl3-nse.js");
const children: ChildProcess[] = [];
const cleanup: (() => void)[] = [];

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  for (const f of cleanup.splice(0)) f();
});

function cli(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => out, exit };
}

describe("vl3-nse workload-api", () => {
  it("issues the asked-for SVID on its socket, and SIGTERM stops it (exit 0)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vl3-wlcli-"));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const address = `unix://${join(dir, "agent.sock")}`;
    const run = cli([
      "workload-api",
      "--listen",
      address,
      "--trust-domain",
      "example.org",
      "--spiffe-id",
      "spiffe://example.org/ns/demo/pod/nse-a",
      "--svid-ttl",
      "10m",
    ]);
    // The client retries (1 s steps here) until the child has bound its socket.
    const source = new WorkloadApiSource({
      address,
      log: silentLogger(),
      backoffStepMs: 100,
      backoffMaxMs: 500,
    });
    cleanup.push(() => source.close());
    const identity = await source.ready();
    expect(identity.spiffeId).toBe("spiffe://example.org/ns/demo/pod/nse-a");
    const lifetime = identity.notAfter.getTime() - Date.now();
    expect(lifetime).toBeGreaterThan(8 * 60_000);
    expect(lifetime).toBeLessThanOrEqual(10 * 60_000);
    expect(run.output()).toContain("never use it in production");
    run.child.kill("SIGTERM");
    expect(await run.exit).toBe(0);
  });

  it.each([
    [["workload-api", "--trust-domain", "example.org"], "--listen"],
    [["workload-api", "--listen", "unix:///tmp/x.sock"], "--trust-domain"],
    [["workload-api", "--listen", "unix:///tmp/x.sock", "--trust-domain", "Example.org"], "lower case"],
    [["workload-api", "--listen", "tcp://localhost:1", "--trust-domain", "a.org"], "--listen"],
    [
      ["workload-api", "--listen", "unix:///tmp/x.sock", "--trust-domain", "a.org", "--svid-ttl", "x"],
      "--svid-ttl",
    ],
    [
      [
        "workload-api",
        "--listen",
        "unix:///tmp/x.sock",
        "--trust-domain",
        "a.org",
        "--spiffe-id",
        "spiffe://b.org/x",
      ],
      "not in the trust domain",
    ],
  ])("%j exits 2 naming %s", async (args, named) => {
    const run = cli(args);
    expect(await run.exit).toBe(2);
    expect(run.output()).toContain(named);
  });
});
