// For tests that need real SCM_RIGHTS: whether the addon is here (Linux, built at install), the
// reason for the describe name when it is not, and small helpers over /proc.
import { readdirSync, statSync } from "node:fs";
import type { Inode } from "../../../src/fd/inode-url.js";
import { type FdNative, fdNative } from "../../../src/fd/native.js";

const status = fdNative();

export const fdAvailable = status.available;
/** For describe names: "" when available, else why the tests skip. */
export const fdSkipReason = status.available ? "" : ` (skipped: ${status.reason})`;

export function native(): FdNative {
  if (!status.available) throw new Error(status.reason);
  return status.native;
}

/** stat -L of a path: what a received descriptor of that object must match. */
export function inodeOf(path: string): Inode {
  const s = statSync(path, { bigint: true });
  return { dev: s.dev, ino: s.ino };
}

/** Descriptors this process has open. */
export function openFdCount(): number {
  return readdirSync("/proc/self/fd").length;
}
