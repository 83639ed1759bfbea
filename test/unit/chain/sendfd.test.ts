// The sendfd element with a fake sender: file:// inodeURLs of the chosen mechanism become inode URLs
// once queued, other schemes and connections that cannot carry descriptors pass, and a file that cannot
// be opened fails the request naming the parameter.
import { describe, expect, it } from "vitest";
import { RequestError } from "../../../src/chain/errors.js";
import { type SendFile, sendfd, sendfdPassThrough, sendMechanismFile } from "../../../src/chain/sendfd.js";
import { ctx, recorder, req } from "./fixtures.js";

const kernel = (inodeURL: string) => ({
  cls: "LOCAL",
  type: "KERNEL",
  parameters: { name: "nsm-1", inodeURL },
});

function fakeSender(): { send: SendFile; sent: string[] } {
  const sent: string[] = [];
  return {
    sent,
    send: (path) => {
      if (path.startsWith("/missing")) throw new Error("ENOENT");
      sent.push(path);
      return `inode://4/${sent.length}`;
    },
  };
}

describe("sendMechanismFile", () => {
  it.each([
    ["file:///proc/thread-self/ns/net", "inode://4/1", ["/proc/thread-self/ns/net"]],
    ["file:///run/netns/a%20b", "inode://4/1", ["/run/netns/a b"]],
    ["inode://4/99", "inode://4/99", []],
    ["", "", []],
  ])("%j becomes %j", (url, expected, sent) => {
    const f = fakeSender();
    expect(sendMechanismFile(kernel(url), f.send)?.parameters.inodeURL).toBe(expected);
    expect(f.sent).toEqual(sent);
  });

  it("leaves the file URL where the connection cannot carry descriptors, as NSM does over TCP", () => {
    expect(sendMechanismFile(kernel("file:///x"), () => undefined)?.parameters.inodeURL).toBe("file:///x");
    expect(sendMechanismFile(undefined, () => "inode://1/1")).toBeUndefined();
  });

  it("fails with INTERNAL naming the parameter when the file cannot be sent", () => {
    const f = fakeSender();
    expect(() => sendMechanismFile(kernel("file:///missing/ns"), f.send)).toThrow(RequestError);
    expect(() => sendMechanismFile(kernel("file:///missing/ns"), f.send)).toThrow(/parameters\.inodeURL/);
  });
});

describe("sendfd element", () => {
  it("converts the mechanism of the response, not of the request the next element sees", async () => {
    const f = fakeSender();
    const r = recorder();
    const handler = sendfd(f.send)(r.next);
    const conn = await handler.request(
      req({ id: "c", mechanism: kernel("file:///proc/thread-self/ns/net") }),
      ctx(),
    );
    expect(r.requests[0]!.req.connection!.mechanism!.parameters.inodeURL).toBe(
      "file:///proc/thread-self/ns/net",
    );
    expect(conn.mechanism!.parameters).toEqual({ name: "nsm-1", inodeURL: "inode://4/1" });
  });

  it("has a pass-through twin", async () => {
    const r = recorder();
    const handler = sendfdPassThrough(r.next);
    const conn = await handler.request(req({ id: "c", mechanism: kernel("file:///x") }), ctx());
    expect(conn.mechanism!.parameters.inodeURL).toBe("file:///x");
    expect(handler).toBe(r.next);
  });
});
