// Runs `vl3-nse` as a real child process with only the environment given (no NSM_* leaks in from the
// test's own), collecting its output; children and temp dirs are removed by `cleanupCli`.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const BIN = join(import.meta.dirname, "../../bin/vl3-nse.js");
const children: ChildProcess[] = [];
const dirs: string[] = [];

export interface Run {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
}

export function cli(args: string[], env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", NSM_DEBUG_LISTEN_ON: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => out, exit };
}

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "vl3-cli-"));
  dirs.push(dir);
  return dir;
}

/** A loopback port that was free a moment ago (the kernel picks it; we let it go at once). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Kills children still running and removes temp dirs: for afterEach. */
export function cleanupCli(): void {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** Whether something accepts connections at `path` (a unix socket) or on a loopback port. */
export const accepts = (where: string | number) =>
  new Promise<boolean>((resolve) => {
    const socket = typeof where === "string" ? createConnection(where) : createConnection(where, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
