// The pure mapping between the file:// (or unix://) URLs a process uses locally and the inode:// URLs
// that travel with a passed descriptor, as NSM's grpcfd writes them: inode://<st_dev>/<st_ino>, both
// decimal. The identity of the object, not a path, so it is the same in every process on the host.
import { parseGrpcUrl } from "../grpc/url.js";

/** What identifies a passed object: fstat's device and inode numbers (bigint: inodes may pass 2^53). */
export interface Inode {
  dev: bigint;
  ino: bigint;
}

export class InodeUrlError extends Error {
  override name = "InodeUrlError";
}

const DECIMAL = /^(0|[1-9][0-9]*)$/;
const U64_MAX = (1n << 64n) - 1n;

function u64(part: string, raw: string, what: string): bigint {
  if (!DECIMAL.test(part)) throw new InodeUrlError(`"${raw}": ${what} "${part}" is not a decimal number`);
  const n = BigInt(part);
  if (n > U64_MAX) throw new InodeUrlError(`"${raw}": ${what} ${part} does not fit in 64 bits`);
  return n;
}

export function inodeUrl(inode: Inode): string {
  return `inode://${inode.dev}/${inode.ino}`;
}

/** inode://<dev>/<ino> to its numbers; anything else is an InodeUrlError naming what is wrong. */
export function parseInodeUrl(raw: string): Inode {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/]*)(\/.*)?$/.exec(raw);
  if (m?.[1] !== "inode" || !m) throw new InodeUrlError(`"${raw}" is not an inode:// URL`);
  const path = (m[3] ?? "").replace(/^\//, "");
  return { dev: u64(m[2]!, raw, "device"), ino: u64(path, raw, "inode") };
}

export function isInodeUrl(raw: string): boolean {
  return raw.startsWith("inode://");
}

/** The local path of a file:// URL (what NSM's sendfd converts), or undefined for other schemes. */
export function filePath(raw: string): string | undefined {
  if (!raw.startsWith("file://")) return undefined;
  const path = decodeURIComponent(raw.slice("file://".length));
  return path.startsWith("/") ? path : undefined;
}

export function fileUrl(path: string): string {
  return `file://${path}`;
}

/** The local path of a unix:// URL (what the registry's sendfd converts), or undefined. */
export function unixPath(raw: string): string | undefined {
  if (!raw.startsWith("unix://")) return undefined;
  try {
    const url = parseGrpcUrl(raw);
    return url.kind === "unix" ? url.path : undefined;
  } catch {
    return undefined;
  }
}

/** The key a store matches descriptors by. */
export function inodeKey(inode: Inode): string {
  return `${inode.dev}/${inode.ino}`;
}

/** The name a received descriptor has in this process, as NSM's recvfd presents it. */
export function procFdPath(fd: number, pid = process.pid): string {
  return `/proc/${pid}/fd/${fd}`;
}
