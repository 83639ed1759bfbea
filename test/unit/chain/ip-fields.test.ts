// Strict address and prefix parsing: what passes comes back canonical; what does not names the field
// and quotes the value at most 128 characters.
import { describe, expect, it } from "vitest";
import { RequestError } from "../../../src/chain/errors.js";
import {
  canonicalAddress,
  canonicalAddressWithLength,
  canonicalIpContext,
  canonicalPrefix,
} from "../../../src/chain/ip-fields.js";
import { IPContext } from "../../../src/grpc/gen/networkservice/connectioncontext.js";

const F = "f";
const refusal = (run: () => unknown) => {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(RequestError);
    expect((e as RequestError).code).toBe("INVALID_ARGUMENT");
    return (e as RequestError).message;
  }
  throw new Error("accepted");
};

describe("canonicalPrefix", () => {
  it.each([
    ["10.0.0.0/8", "10.0.0.0/8"],
    ["10.1.2.3/8", "10.0.0.0/8"],
    ["0.0.0.0/0", "0.0.0.0/0"],
    ["FD00:0:0::/64", "fd00::/64"],
    ["fd00::1/128", "fd00::1/128"],
    ["::/0", "::/0"],
  ])("%s is %s", (value, want) => expect(canonicalPrefix(F, value)).toBe(want));

  it.each([
    " 10.0.0.0/8",
    "10.0.0.0/8 ",
    "10.0.0.0 /8",
    "10.0.0.0/8\n",
    "10.0.0.0",
    "10.0.0.0/33",
    "10.0.0.0/08",
    "010.0.0.0/8",
    "10.1/16",
    "fe80::%eth0/64",
    "::ffff:10.0.0.0/104",
    "::ffff:a00:0/104",
    "",
  ])("refuses %j", (value) => {
    expect(refusal(() => canonicalPrefix(F, value)).startsWith(`${F}: `)).toBe(true);
  });

  it("says why an IPv4-mapped prefix is refused", () => {
    expect(refusal(() => canonicalPrefix(F, "::ffff:1.2.3.0/120"))).toContain("IPv4-mapped");
  });

  it("quotes a long value at most 128 characters", () => {
    expect(refusal(() => canonicalPrefix(F, "1".repeat(10_000))).length).toBeLessThan(200);
  });
});

describe("canonicalAddressWithLength and canonicalAddress", () => {
  it.each([
    ["172.16.0.2/32", "172.16.0.2/32"],
    ["172.16.0.2/24", "172.16.0.2/24"],
    ["FD00::0002/128", "fd00::2/128"],
  ])("%s is %s", (value, want) => expect(canonicalAddressWithLength(F, value)).toBe(want));

  it.each([
    "172.16.0.2",
    " 172.16.0.2/32",
    "::ffff:1.2.3.4/128",
    "fe80::1%1/128",
    "172.16.0.256/32",
  ])("refuses the address with length %j", (value) => {
    refusal(() => canonicalAddressWithLength(F, value));
  });

  it.each([
    ["10.0.0.1", "10.0.0.1"],
    ["FD00:0::1", "fd00::1"],
  ])("the bare address %s is %s", (value, want) => expect(canonicalAddress(F, value)).toBe(want));

  it.each([
    "10.0.0.1/32",
    "10.0.0.1 ",
    "::ffff:10.0.0.1",
    "fe80::1%eth0",
  ])("refuses the bare address %j", (value) => {
    refusal(() => canonicalAddress(F, value));
  });
});

describe("canonicalIpContext", () => {
  it("canonicalises every address and prefix, naming the field of the first bad one", () => {
    const ip = IPContext.fromPartial({
      srcIpAddrs: ["FD00::2/128"],
      dstRoutes: [{ prefix: "10.9.9.9/8", nextHop: "" }],
      srcRoutes: [{ prefix: "192.168.1.0/24", nextHop: "192.168.1.1" }],
      excludedPrefixes: ["10.1.2.3/16"],
    });
    expect(canonicalIpContext(ip)).toMatchObject({
      srcIpAddrs: ["fd00::2/128"],
      dstRoutes: [{ prefix: "10.0.0.0/8", nextHop: "" }],
      excludedPrefixes: ["10.1.0.0/16"],
    });
    const bad = IPContext.fromPartial({
      srcRoutes: [{ prefix: "10.0.0.0/8" }, { prefix: "10.0.0.0/8", nextHop: "x" }],
    });
    expect(refusal(() => canonicalIpContext(bad))).toMatch(
      /^connection\.context\.ip_context\.src_routes\[1\]\.nextHop: /,
    );
  });
});
