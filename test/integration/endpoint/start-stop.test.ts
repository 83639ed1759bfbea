// Starting and stopping (issue 10): a permanent start error ends `vl3-nse run` with the reason after
// releasing what it took; a dependency that is not there yet is waited for while /readyz says what
// for; liveness means the gRPC servers are listening.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/config.js";
import { MemoryDataplane } from "../../../src/dataplane/memory.js";
import { silentLogger } from "../../../src/log.js";
import { startNse } from "../../../src/nse.js";
import { startPrefixServer } from "../../../src/prefix/server.js";
import { StaticPrefixSource } from "../../../src/prefix/static.js";
import { startRegistry } from "../../../src/sandbox/registry-server.js";
import { WorkloadApiServer } from "../../../src/security/workload-api-server.js";
import { accepts, cleanupCli, cli, freePort, tempDir } from "../../support/cli.js";
import { waitFor } from "../../support/endpoint.js";
import { testSecurity } from "../../support/security.js";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  cleanupCli();
});

/** A TCP port held by someone else for the whole test. */
async function busyPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return (server.address() as { port: number }).port;
}

// Secure as in a cluster: the endpoint's SVID from a development Workload API.
let workloadApi: WorkloadApiServer;
let agentDir: string;
beforeAll(async () => {
  agentDir = mkdtempSync(join(tmpdir(), "vl3-agent-"));
  workloadApi = await WorkloadApiServer.start({ trustDomain: "start.test", log: silentLogger() });
  BASE.SPIFFE_ENDPOINT_SOCKET = await workloadApi.addWorkload({
    listen: `unix://${join(agentDir, "agent.sock")}`,
    spiffeId: "spiffe://start.test/ns/vl3/pod/nse-start",
  });
});
afterAll(async () => {
  await workloadApi.stop();
  rmSync(agentDir, { recursive: true, force: true });
});

const BASE: Record<string, string> = {
  NSM_NAME: "nse-start",
  NSM_SERVICE_NAMES: "vl3-test",
  NSM_PREFIX_POOL: "198.18.0.0/15",
  NSM_PREFIX: "198.18.4.0/24",
};

/** Waits for the child to end; a child that hangs fails the test here, naming what it printed. */
async function exitOf(run: ReturnType<typeof cli>, timeoutMs = 20_000): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<"hung">((resolve) => {
    timer = setTimeout(() => resolve("hung"), timeoutMs);
  });
  const code = await Promise.race([run.exit, hung]);
  clearTimeout(timer);
  if (code === "hung") throw new Error(`vl3-nse run did not exit; it printed:\n${run.output()}`);
  return code;
}

describe("vl3-nse run with a permanent start error", () => {
  it("exits non-zero naming the URL in use, with its other listen URL and servers released", async () => {
    const busy = await busyPort();
    const first = join(tempDir(), "first.sock");
    const run = cli(["run"], {
      ...BASE,
      NSM_LISTEN_ON: `unix://${first},tcp://127.0.0.1:${busy}`,
      NSM_DEBUG_LISTEN_ON: `tcp://127.0.0.1:${await freePort()}`,
      NSM_HEALTH_LISTEN_ON: `tcp://127.0.0.1:${await freePort()}`,
    });
    expect(await exitOf(run), run.output()).toBe(1);
    expect(run.output()).toMatch(new RegExp(`127\\.0\\.0\\.1:${busy}.*(in use|EADDRINUSE)`));
    expect(existsSync(first)).toBe(false);
    // It ended because nothing held it, not by the CLI's 2 s backstop.
    expect(run.output()).not.toContain("exiting anyway");
  });

  it("exits non-zero naming an address this host does not have", async () => {
    const run = cli(["run"], { ...BASE, NSM_LISTEN_ON: "tcp://198.18.255.254:5003" });
    expect(await exitOf(run), run.output()).toBe(1);
    expect(run.output()).toMatch(/198\.18\.255\.254:5003.*(EADDRNOTAVAIL|not available)/);
  });
});

describe("startNse with a listen URL in use", () => {
  it("rejects after closing what it had started: earlier URL, debug and health servers, prefix, data plane", async () => {
    const busy = await busyPort();
    const dir = tempDir();
    const first = join(dir, "first.sock");
    const debugPort = await freePort();
    const healthPort = await freePort();
    const config = loadConfig({
      ...BASE,
      NSM_LISTEN_ON: `unix://${first},tcp://127.0.0.1:${busy}`,
      NSM_DEBUG_LISTEN_ON: `tcp://127.0.0.1:${debugPort}`,
      NSM_HEALTH_LISTEN_ON: `tcp://127.0.0.1:${healthPort}`,
    });
    const stopped: string[] = [];
    const prefixSource = new StaticPrefixSource(BASE.NSM_PREFIX!);
    const stopPrefix = prefixSource.stop.bind(prefixSource);
    prefixSource.stop = async () => {
      stopped.push("prefix");
      return stopPrefix();
    };
    const dataplane = new MemoryDataplane();
    dataplane.close = async () => {
      stopped.push("dataplane");
    };
    let detached = false;
    await expect(
      startNse(config, {
        log: silentLogger(),
        dataplane,
        prefixSource,
        observers: [
          () => () => {
            detached = true;
          },
        ],
      }),
    ).rejects.toThrow(new RegExp(`127\\.0\\.0\\.1:${busy}`));
    expect(stopped.sort()).toEqual(["dataplane", "prefix"]);
    expect(detached).toBe(true);
    expect(existsSync(first)).toBe(false);
    expect(await accepts(debugPort)).toBe(false);
    expect(await accepts(healthPort)).toBe(false);
  });
});

describe("vl3-nse run waiting for a prefix server that is not there yet", () => {
  it("stays alive, says on /readyz what it waits for, and becomes ready once the server is up", async () => {
    const prefixPort = await freePort();
    const healthPort = await freePort();
    const health = `http://127.0.0.1:${healthPort}`;
    const run = cli(["run"], {
      ...BASE,
      NSM_PREFIX: "",
      NSM_PREFIX_SOURCE: "server",
      NSM_PREFIX_SERVER_URL: `tcp://127.0.0.1:${prefixPort}`,
      NSM_LISTEN_ON: `unix://${join(tempDir(), "nse.sock")}`,
      NSM_HEALTH_LISTEN_ON: `tcp://127.0.0.1:${healthPort}`,
      NSM_PEER_BACKOFF_MAX: "200ms",
    });
    const get = (path: string) =>
      fetch(`${health}${path}`).then(
        async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }),
        () => undefined,
      );
    let readyz: Awaited<ReturnType<typeof get>>;
    await waitFor(
      async () => {
        readyz = await get("/readyz");
        return readyz !== undefined || run.child.exitCode !== null;
      },
      "the health listener",
      20_000,
    );
    expect(readyz!.status, run.output()).toBe(503);
    expect(String(readyz!.body.message)).toMatch(
      new RegExp(`prefix server at tcp://127\\.0\\.0\\.1:${prefixPort}`),
    );
    expect((await get("/healthz"))?.status).toBe(200);

    const server = await startPrefixServer({
      listenOn: `127.0.0.1:${prefixPort}`,
      pool: "198.18.0.0/15",
      prefixLen: 24,
      transport: (await testSecurity("prefix-server", "nsm-system", workloadApi.ca)).transport,
    });
    cleanups.push(() => server.stop());
    await waitFor(async () => (await get("/readyz"))?.status === 200, "readiness", 20_000);
    run.child.kill("SIGTERM");
    expect(await exitOf(run), run.output()).toBe(0);
  });
});

describe("vl3-nse run waiting for a registry that is not there yet", () => {
  it("is not ready naming the registry, and registers once it is up", async () => {
    const registryPort = await freePort();
    const healthPort = await freePort();
    const run = cli(["run"], {
      ...BASE,
      NSM_REGISTRY_URL: `tcp://127.0.0.1:${registryPort}`,
      NSM_LISTEN_ON: `unix://${join(tempDir(), "nse.sock")}`,
      NSM_HEALTH_LISTEN_ON: `tcp://127.0.0.1:${healthPort}`,
      NSM_PEER_BACKOFF_MAX: "200ms",
    });
    const readyz = () =>
      fetch(`http://127.0.0.1:${healthPort}/readyz`).then(
        async (r) => ({
          status: r.status,
          body: (await r.json()) as { missing?: string[]; message?: string },
        }),
        () => undefined,
      );
    let first: Awaited<ReturnType<typeof readyz>>;
    await waitFor(
      async () => {
        first = await readyz();
        return first?.body.missing?.join() === "registered" || run.child.exitCode !== null;
      },
      "readiness waiting for the registry alone",
      20_000,
    );
    expect(first!.status, run.output()).toBe(503);
    expect(first!.body.message).toBe(
      `not ready: not registered with the NSM registry (waiting for the registry at tcp://127.0.0.1:${registryPort})`,
    );
    const registry = await startRegistry({
      listenOn: `127.0.0.1:${registryPort}`,
      transport: (await testSecurity("registry", "nsm-system", workloadApi.ca)).transport,
    });
    cleanups.push(() => registry.stop());
    await waitFor(async () => (await readyz())?.status === 200, "readiness", 20_000);
    expect(registry.entries().map((e) => e.name)).toContain(BASE.NSM_NAME);
    run.child.kill("SIGTERM");
    expect(await exitOf(run), run.output()).toBe(0);
  });
});

describe("liveness on the health listener", () => {
  it("is 200 while the gRPC server listens, and 503 naming it once it no longer does", async () => {
    const healthPort = await freePort();
    const config = loadConfig({
      ...BASE,
      NSM_LISTEN_ON: `unix://${join(tempDir(), "nse.sock")}`,
      NSM_DEBUG_LISTEN_ON: "",
      NSM_HEALTH_LISTEN_ON: `tcp://127.0.0.1:${healthPort}`,
    });
    const nse = await startNse(config, { log: silentLogger() });
    cleanups.push(() => nse.stop());
    const healthz = () => fetch(`http://127.0.0.1:${healthPort}/healthz`);
    expect((await healthz()).status).toBe(200);
    await nse.server.close({ force: true });
    const after = await healthz();
    expect(after.status).toBe(503);
    expect(await after.text()).toMatch(/gRPC server/);
  });
});
