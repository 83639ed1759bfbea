// The file:// and unix:// <-> inode:// mapping, by table: the format NSM's grpcfd prints and parses.
import { describe, expect, it } from "vitest";
import {
  filePath,
  fileUrl,
  InodeUrlError,
  inodeKey,
  inodeUrl,
  isInodeUrl,
  parseInodeUrl,
  procFdPath,
  unixPath,
} from "../../../src/fd/inode-url.js";

describe("inode URLs", () => {
  it.each([
    ["inode://4/4026531993", 4n, 4026531993n],
    ["inode://2049/12", 2049n, 12n],
    ["inode://0/0", 0n, 0n],
    ["inode://64769/18446744073709551615", 64769n, 18446744073709551615n],
  ])("parses %s", (url, dev, ino) => {
    expect(parseInodeUrl(url)).toEqual({ dev, ino });
    expect(inodeUrl({ dev, ino })).toBe(url);
    expect(isInodeUrl(url)).toBe(true);
  });

  it.each([
    ["inode://4/", /inode "" is not a decimal number/],
    ["inode:///12", /device "" is not a decimal number/],
    ["inode://4", /inode "" is not a decimal number/],
    ["inode://x/12", /device "x" is not a decimal number/],
    ["inode://4/1a", /inode "1a" is not a decimal number/],
    ["inode://-4/12", /device "-4"/],
    ["inode://04/12", /device "04"/],
    ["inode://4/18446744073709551616", /does not fit in 64 bits/],
    ["file:///proc/1/ns/net", /is not an inode:\/\/ URL/],
    ["unix:///tmp/x.sock", /is not an inode:\/\/ URL/],
    ["", /is not an inode:\/\/ URL/],
  ])("rejects %j", (url, message) => {
    expect(() => parseInodeUrl(url)).toThrow(InodeUrlError);
    expect(() => parseInodeUrl(url)).toThrow(message);
  });

  it.each([
    ["file:///proc/thread-self/ns/net", "/proc/thread-self/ns/net"],
    ["file:///proc/12/fd/7", "/proc/12/fd/7"],
    ["file:///tmp/a%20b", "/tmp/a b"],
    ["file://relative", undefined],
    ["inode://4/5", undefined],
    ["unix:///tmp/x", undefined],
  ])("file path of %s", (url, path) => {
    expect(filePath(url)).toBe(path);
  });

  it.each([
    ["unix:///tmp/nse/listen.on", "/tmp/nse/listen.on"],
    ["unix://relative.sock", undefined],
    ["tcp://127.0.0.1:5003", undefined],
    ["file:///tmp/x", undefined],
  ])("unix path of %s", (url, path) => {
    expect(unixPath(url)).toBe(path);
  });

  it("names files and keys as grpcfd does", () => {
    expect(fileUrl("/proc/thread-self/ns/net")).toBe("file:///proc/thread-self/ns/net");
    expect(inodeKey({ dev: 4n, ino: 99n })).toBe("4/99");
    expect(procFdPath(7, 123)).toBe("/proc/123/fd/7");
  });
});
