// Which bind errors are retried, by a table of the errors grpc-js and Node really give.
import { describe, expect, it } from "vitest";
import { describeListenError, kindOfListenError } from "../../../src/grpc/listen-errors.js";

const grpcJs = (inner: string) => new Error(`No address added out of total 1 resolved errors: [${inner}]`);

describe("kindOfListenError", () => {
  const cases: Array<[what: string, err: unknown, kind: string, said: RegExp]> = [
    [
      "port in use",
      grpcJs("listen EADDRINUSE: address already in use 127.0.0.1:5003"),
      "in-use",
      /^EADDRINUSE \(address in use\)$/,
    ],
    [
      "port below 1024 without the right",
      grpcJs("listen EACCES: permission denied 0.0.0.0:80"),
      "permanent",
      /permission denied/,
    ],
    [
      "address not on this host",
      grpcJs("listen EADDRNOTAVAIL: address not available 198.18.255.254:5003"),
      "permanent",
      /address not available/,
    ],
    [
      "socket directory missing",
      grpcJs("listen ENOENT: no such file or directory /nope/x.sock"),
      "permanent",
      /no such directory/,
    ],
    [
      "host name that does not resolve",
      new Error("Name resolution failed for target dns:nowhere.invalid:5003"),
      "permanent",
      /Name resolution failed/,
    ],
    [
      "resolver hiccup",
      Object.assign(new Error("getaddrinfo EAI_AGAIN registry"), { code: "EAI_AGAIN" }),
      "transient",
      /EAI_AGAIN/,
    ],
    ["out of descriptors", grpcJs("listen EMFILE: too many open files"), "transient", /EMFILE/],
    ["anything else", new Error("something odd"), "permanent", /something odd/],
  ];
  it.each(cases)("%s", (_what, err, kind, said) => {
    expect(kindOfListenError(err)).toBe(kind);
    expect(describeListenError(err)).toMatch(said);
  });
});
