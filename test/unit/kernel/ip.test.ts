// iproute2 plumbing that needs no privileges: batch error parsing, line building, and a real `ip`
// run on read-only commands.
import { describe, expect, it } from "vitest";
import {
  checkNetnsName,
  IpBatchError,
  ipBatch,
  ipJson,
  ipLine,
  parseBatchFailures,
} from "../../../src/kernel/ip.js";

describe("parseBatchFailures", () => {
  const lines = ["link set dev a up", "route del 198.18.9.0/24 dev a", "addr del fd00::77/128 dev a", "x"];

  it("gives each message to the line named by the marker after it", () => {
    const stderr = [
      "RTNETLINK answers: No such process",
      "Command failed -:2",
      "Error: ipv6: address not found.",
      "Command failed -:3",
      "",
    ].join("\n");
    expect(parseBatchFailures(stderr, lines)).toEqual([
      { line: 2, command: lines[1], message: "RTNETLINK answers: No such process" },
      { line: 3, command: lines[2], message: "Error: ipv6: address not found." },
    ]);
  });

  it("joins multi-line messages and tolerates a marker without one", () => {
    const stderr = "first\nsecond\nCommand failed -:1\nCommand failed -:4\n";
    expect(parseBatchFailures(stderr, lines)).toEqual([
      { line: 1, command: lines[0], message: "first; second" },
      { line: 4, command: "x", message: "failed" },
    ]);
  });

  it("finds nothing in an empty stderr", () => {
    expect(parseBatchFailures("", lines)).toEqual([]);
  });
});

describe("ipLine", () => {
  it("joins safe tokens", () => {
    expect(ipLine("route", "replace", "fd00::/64", "via", "fd00::1", "dev", "nsc-a", "onlink")).toBe(
      "route replace fd00::/64 via fd00::1 dev nsc-a onlink",
    );
  });

  it.each(["a b", 'a"b', "a#b", "a\nb", "a\\b", "", "a;b", "$(x)"])("rejects %j", (token) => {
    expect(() => ipLine("link", "set", "dev", token, "up")).toThrow(/cannot be passed/);
  });
});

describe("checkNetnsName", () => {
  it.each(["vl3t-1", "ns_2.a", "/proc/12/fd/7"])("accepts %s", (n) => expect(checkNetnsName(n)).toBe(n));
  it.each([
    "",
    "..",
    "a/b",
    "a b",
    "x".repeat(65),
    "/proc/12/fd/x",
    "/run/netns/a",
    "/proc/self/fd/3",
  ])("rejects %j", (n) => {
    expect(() => checkNetnsName(n)).toThrow(/not a network namespace name/);
  });
});

describe("ipBatch and ipJson against the real ip (read-only)", () => {
  it("runs in a namespace reached through a descriptor's /proc path (nsenter), as the forwarder does", async () => {
    const { openSync, closeSync } = await import("node:fs");
    const fd = openSync("/proc/self/ns/net", "r");
    try {
      const links = await ipJson<{ ifname: string }>(["link", "show", "dev", "lo"], {
        netns: `/proc/${process.pid}/fd/${fd}`,
      }).catch((err: Error) =>
        /Operation not permitted|nsenter/.test(err.message) ? null : Promise.reject(err),
      );
      // Not root: nsenter may not enter even our own namespace; the argument shape is what is checked then.
      if (links) expect(links[0]?.ifname).toBe("lo");
    } finally {
      closeSync(fd);
    }
  });

  it("returns every failed line with -force", async () => {
    const failures = await ipBatch(["link show dev lo", "link show dev vl3-absent0", "link show dev lo"], {
      force: true,
    });
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ line: 2, command: "link show dev vl3-absent0" });
    expect(failures[0]!.message).toMatch(/does not exist|Cannot find device/);
  });

  it("throws at the first failure without -force, naming the line", async () => {
    const err = await ipBatch(["link show dev lo", "link show dev vl3-absent0", "link show dev lo"]).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(IpBatchError);
    expect((err as IpBatchError).failure.line).toBe(2);
    expect((err as IpBatchError).applied).toBe(1);
    expect((err as IpBatchError).message).toContain('"link show dev vl3-absent0"');
  });

  it("parses ip -j output", async () => {
    const links = await ipJson<{ ifname: string }>(["link", "show", "dev", "lo"]);
    expect(links.map((l) => l.ifname)).toEqual(["lo"]);
  });

  it("refuses a line with a newline", async () => {
    await expect(ipBatch(["link show dev lo\nlink show dev lo"])).rejects.toThrow(/newline/);
  });
});
