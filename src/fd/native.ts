// Loads the SCM_RIGHTS addon (native/fd, built at install by scripts/build-native.mjs). Loading never
// throws: without the addon (not Linux, no compiler at install) `fdNative()` says why it is
// unavailable, and the composition root chooses the pass-through elements instead (docs/fd-passing.md).
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

/** The addon's surface: syscalls on non-blocking unix stream sockets, nothing more. */
export interface FdNative {
  listen(path: string, backlog: number): number;
  /** Throws with `code` (ENOENT, ECONNREFUSED, EAGAIN when the listener's backlog is full). */
  connect(path: string): number;
  /** -1 when no connection is waiting. */
  accept(listenFd: number): number;
  /** Bytes written (the fds ride on the first), -1 if it would block. */
  send(fd: number, bytes: Uint8Array, fds: number[]): number;
  /** [n, ...fds] with n = -1 if it would block, 0 at the end; "truncated" last if fds were dropped. */
  recv(fd: number, buffer: Uint8Array): Array<number | "truncated">;
  shutdown(fd: number): void;
  close(fd: number): void;
  dup(fd: number): number;
  /** An O_PATH descriptor of `path` (a netns file, a socket file), following links. */
  openPath(path: string): number;
  Poller: new (fd: number, callback: (events: number, error?: Error) => void) => FdPoller;
  maxRecvFds: number;
}

export interface FdPoller {
  /** 1 = readable, 2 = writable, 3 = both, 0 = stop watching. */
  start(events: number): void;
  close(): void;
}

export type FdNativeStatus = { available: true; native: FdNative } | { available: false; reason: string };

let loaded: FdNativeStatus | undefined;

function addonPath(): string | undefined {
  // src/fd/native.ts under tsx, dist/src/fd/native.js when built: the repository root is 2 or 3 up.
  for (const up of ["../../", "../../../"]) {
    const path = fileURLToPath(new URL(`${up}native/fd/build/Release/vl3_fd.node`, import.meta.url));
    if (existsSync(path)) return path;
  }
  return undefined;
}

/** The addon, or why there is none. Loaded once. */
export function fdNative(): FdNativeStatus {
  if (loaded) return loaded;
  if (process.platform !== "linux") {
    loaded = { available: false, reason: `fd passing is Linux-only (this is ${process.platform})` };
    return loaded;
  }
  const path = addonPath();
  if (!path) {
    loaded = { available: false, reason: "native/fd is not built (npm run build:native says why)" };
    return loaded;
  }
  try {
    loaded = { available: true, native: createRequire(import.meta.url)(path) as FdNative };
  } catch (err) {
    loaded = { available: false, reason: `native/fd does not load: ${(err as Error).message}` };
  }
  return loaded;
}

/** The addon, or an error naming why it is unavailable (for code paths that cannot do without it). */
export function requireFdNative(what: string): FdNative {
  const status = fdNative();
  if (!status.available) throw new Error(`${what} needs fd passing: ${status.reason}`);
  return status.native;
}
