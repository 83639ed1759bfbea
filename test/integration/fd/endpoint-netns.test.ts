// A vl3-nse in a network namespace of its own (a child process under `unshare --net`) serves a KERNEL
// Request on its unix socket; between it and the client sits a relay written in Python that takes the
// descriptors off the NSE's side with socket.recv_fds, sharing no code with our transport. The one it
// receives must be the NSE's network namespace (same st_dev/st_ino as /proc/<nse pid>/ns/net, not ours),
// and the response's inodeURL must name that same object.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inodeUrl } from "../../../src/fd/inode-url.js";
import {
  NetworkServiceClient,
  NetworkServiceRequest,
} from "../../../src/grpc/gen/networkservice/networkservice.js";
import { unary } from "../../../src/util/grpc.js";
import { fdAvailable, fdSkipReason, inodeOf } from "../../support/fd/native.js";
import { canUseNetns } from "../../support/netns.js";
import { eventually } from "../mesh/helpers.js";

const ROOT = join(import.meta.dirname, "../../..");
const hasPython =
  spawnSync("python3", ["-c", "import socket; socket.recv_fds"], { timeout: 10_000 }).status === 0;

const skip = !fdAvailable || !canUseNetns() || !hasPython;
const why =
  fdSkipReason ||
  (!canUseNetns()
    ? " (skipped: needs root for unshare --net)"
    : !hasPython
      ? " (skipped: no python3 with socket.recv_fds)"
      : "");

describe.skipIf(skip)(`the NSE's netns descriptor, as an independent receiver sees it${why}`, () => {
  let dir: string;
  let nse: ChildProcess;
  let proxy: ChildProcess;
  const received: Array<{ dev: bigint; ino: bigint }> = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "vl3-fdnetns-"));
    const socket = join(dir, "nse.sock");
    nse = spawn("unshare", ["--net", "--", process.execPath, join(ROOT, "bin/vl3-nse.js"), "run"], {
      env: {
        ...process.env,
        NSM_NAME: "nse-netns",
        NSM_LISTEN_ON: `unix://${socket}`,
        NSM_DEBUG_LISTEN_ON: "",
        NSM_INSECURE: "true",
        NSM_FD_PASSING: "true",
        NSM_LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "ignore", "inherit"],
    });
    await eventually(() => expect(existsSync(socket)).toBe(true), 30_000);
    proxy = spawn("python3", [join(ROOT, "test/support/fd/fd_proxy.py"), join(dir, "proxy.sock"), socket], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const lines = createInterface({ input: proxy.stdout! });
    const ready = new Promise<void>((resolve) =>
      lines.on("line", (line) => {
        const m = JSON.parse(line) as { ready?: boolean; dev?: string; ino?: string };
        if (m.ready) resolve();
        else received.push({ dev: BigInt(m.dev!), ino: BigInt(m.ino!) });
      }),
    );
    await ready;
  }, 60_000);

  afterAll(() => {
    proxy?.kill();
    nse?.kill("SIGTERM");
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("is the NSE's own network namespace, and the inodeURL names it", async () => {
    const client = new NetworkServiceClient(
      `unix://${join(dir, "proxy.sock")}`,
      grpc.credentials.createInsecure(),
    );
    try {
      const request = NetworkServiceRequest.fromPartial({
        connection: {
          id: "nsc-netns-1",
          networkService: "vl3-service",
          path: { index: 0, pathSegments: [{ name: "nsc", id: "nsc-netns-1" }] },
        },
        mechanismPreferences: [{ cls: "LOCAL", type: "KERNEL", parameters: { name: "nsm-1" } }],
      });
      const conn = await unary(client as unknown as grpc.Client, client.request, request, 15_000);
      const nseNetns = inodeOf(`/proc/${nse.pid}/ns/net`);
      expect(nseNetns).not.toEqual(inodeOf("/proc/self/ns/net"));
      expect(conn.mechanism?.parameters.inodeURL).toBe(inodeUrl(nseNetns));
      await eventually(() => expect(received).toContainEqual(nseNetns), 5000);
    } finally {
      client.getChannel().close(); // `close` is the Close RPC
    }
  });
});
