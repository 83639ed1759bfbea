import { describe, expect, it } from "vitest";
import {
  bigIntToAddress,
  CidrError,
  firstOutside,
  inRanges,
  mergeRanges,
  parseAddress,
  parseAddressWithLength,
  parseCidr,
} from "../../../src/ipam/cidr.js";

describe("parseCidr / parseAddress: the syntax NSM (Go) accepts", () => {
  it.each([
    ["172.16.1.7/24", "172.16.1.0/24"],
    ["0.0.0.0/0", "0.0.0.0/0"],
    ["fd00:16:1::5/64", "fd00:16:1::/64"],
    ["::ffff:1.2.3.4/128", "::ffff:102:304/128"],
    [" 10.0.0.0/8 ", "10.0.0.0/8"],
  ])("%j is %s", (input, canonical) => {
    expect(parseCidr(input).toString()).toBe(canonical);
  });

  it.each([
    "1/8",
    "10.1/16",
    "0x0a.0.0.0/8",
    "010.0.0.0/8",
    "10.0.0.0/08",
    "10.0.0.0/33",
    "fe80::%eth0/64",
    "10.0.0.0",
  ])("rejects %j", (input) => {
    expect(() => parseCidr(input, "NSM_PREFIX_POOL")).toThrow(CidrError);
  });

  it("names the field in the error", () => {
    expect(() => parseCidr("10.1/16", "NSM_PREFIX_POOL")).toThrow('NSM_PREFIX_POOL: "10.1/16" is not a CIDR');
  });

  it("reads a text once (the same value after), and names each caller's field for a bad one", () => {
    expect(parseCidr("172.16.9.1/16")).toBe(parseCidr("172.16.9.1/16"));
    expect(parseCidr("172.16.9.1/16").toString()).toBe("172.16.0.0/16");
    expect(() => parseCidr("10.2/16", "a")).toThrow('a: "10.2/16"');
    expect(() => parseCidr("10.2/16", "b")).toThrow('b: "10.2/16"');
  });

  it("addresses: dotted quads and IPv6 only", () => {
    expect(parseAddress("172.16.1.2")).toEqual({ family: 4, value: 0xac100102n });
    expect(parseAddress("fd00::1")).toEqual({ family: 6, value: (0xfd00n << 112n) + 1n });
    for (const bad of ["1", "3232235777", "010.0.0.1", "10.0.0.256", "fe80::1%eth0", ""]) {
      expect(() => parseAddress(bad)).toThrow(CidrError);
    }
  });
});

describe("parseAddressWithLength: addresses as NSM carries them", () => {
  it("keeps the address, not its network", () => {
    expect(parseAddressWithLength("172.16.1.7/24")).toEqual({ family: 4, value: 0xac100107n, bits: 24 });
    expect(parseAddressWithLength("172.16.1.7")).toEqual({ family: 4, value: 0xac100107n, bits: 32 });
    expect(parseAddressWithLength("fd00::7/128")).toEqual({
      family: 6,
      value: (0xfd00n << 112n) + 7n,
      bits: 128,
    });
  });

  it.each([
    "172.16.1.7/33",
    "172.16.1.7/",
    "172.16.1.7/x",
    "172.16.1.7/24/1",
    "fd00::7/129",
    "1/8",
    "",
  ])("rejects %j naming the field", (input) => {
    expect(() => parseAddressWithLength(input, "src_ip_addrs")).toThrow(`src_ip_addrs: "${input}"`);
  });
});

describe("ranges", () => {
  it("mergeRanges sorts and merges overlapping and touching ranges, dropping empty ones", () => {
    const merged = mergeRanges([
      { start: 20n, end: 30n },
      { start: 1n, end: 5n },
      { start: 6n, end: 8n },
      { start: 25n, end: 40n },
      { start: 50n, end: 49n },
    ]);
    expect(merged).toEqual([
      { start: 1n, end: 8n },
      { start: 20n, end: 40n },
    ]);
  });

  it("firstOutside jumps over ranges in one pass", () => {
    const merged = mergeRanges([
      { start: 0n, end: 2n ** 100n },
      { start: 2n ** 100n + 2n, end: 2n ** 101n },
    ]);
    expect(firstOutside(0n, merged)).toBe(2n ** 100n + 1n);
    expect(firstOutside(2n ** 100n + 2n, merged)).toBe(2n ** 101n + 1n);
    expect(firstOutside(2n ** 102n, merged)).toBe(2n ** 102n);
  });

  it("inRanges", () => {
    const merged = mergeRanges([
      { start: 10n, end: 20n },
      { start: 30n, end: 30n },
    ]);
    expect([9n, 10n, 20n, 21n, 29n, 30n, 31n].map((n) => inRanges(n, merged))).toEqual([
      false,
      true,
      true,
      false,
      false,
      true,
      false,
    ]);
    expect(inRanges(5n, [])).toBe(false);
  });
});

describe("bigIntToAddress: integers back to the text ipaddr.js writes", () => {
  it.each([
    ["0.0.0.0", 4],
    ["10.0.0.1", 4],
    ["172.16.255.254", 4],
    ["255.255.255.255", 4],
    ["::", 6],
    ["fd00:16:1::5", 6],
    ["::ffff:102:304", 6],
  ] as const)("%s", (text, family) => {
    const { value } = parseAddress(text);
    expect(bigIntToAddress(value, family)).toBe(text);
  });
});
