// Mechanism selection: the client's preferences in its order, as far as the data plane supports them.
import { describe, expect, it } from "vitest";
import { RequestError } from "../../../src/chain/errors.js";
import { mechanisms, selectMechanism } from "../../../src/chain/mechanism.js";
import { ctx, recorder, req } from "./fixtures.js";

const kernel = { cls: "LOCAL", type: "KERNEL", parameters: {} };
const memif = { cls: "LOCAL", type: "MEMIF", parameters: {} };

describe("selectMechanism", () => {
  it("takes the client's first preference the data plane supports", () => {
    expect(selectMechanism(req({ id: "c" }, [memif, kernel]), ["KERNEL", "MEMIF"], "nsc-1").type).toBe(
      "MEMIF",
    );
    expect(selectMechanism(req({ id: "c" }, [memif, kernel]), ["KERNEL"], "nsc-1").type).toBe("KERNEL");
  });

  it("names the NSE side of a kernel link after the connection, keeping a name the NSC chose", () => {
    expect(selectMechanism(req({ id: "c" }, [kernel]), ["KERNEL"], "nsc-1").parameters).toEqual({
      name: "nsc-1",
      inodeURL: "file:///proc/thread-self/ns/net",
    });
    const named = { ...kernel, parameters: { name: "eth-nsm" } };
    expect(selectMechanism(req({ id: "c" }, [named]), ["KERNEL"], "nsc-1").parameters.name).toBe("eth-nsm");
  });

  it("gives a memif link NSM's abstract socket name, with the connection id in it", () => {
    expect(selectMechanism(req({ id: "c" }, [memif]), ["MEMIF"], "nsc-1").parameters.socketfile).toBe(
      "@/tmp/memif/c/memif.socket",
    );
  });

  it("keeps the connection's current mechanism on a refresh", () => {
    const m = selectMechanism(req({ id: "c", mechanism: memif }, [kernel]), ["KERNEL", "MEMIF"], "nsc-1");
    expect(m.type).toBe("MEMIF");
  });

  it("gives a bare client without preferences the data plane's first choice", () => {
    expect(selectMechanism(req({ id: "c" }), ["MEMIF", "KERNEL"], "nsc-1")).toMatchObject({
      cls: "LOCAL",
      type: "MEMIF",
    });
  });

  it.each([
    [
      "mechanism_preferences",
      req({ id: "c" }, [{ cls: "REMOTE", type: "VXLAN", parameters: {} }]),
      /\["VXLAN"\]/,
    ],
    [
      "connection.mechanism.type",
      req({ id: "c", mechanism: { cls: "LOCAL", type: "MEMIF" } }, [kernel]),
      /\["MEMIF"\]/,
    ],
    [
      "mechanism_preferences.cls",
      req({ id: "c" }, [{ cls: "ELSEWHERE", type: "KERNEL", parameters: {} }]),
      /ELSEWHERE/,
    ],
  ])("rejects what it cannot serve, naming %s", (field, request, detail) => {
    let error: unknown;
    try {
      selectMechanism(request, ["KERNEL"], "nsc-1");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RequestError);
    expect((error as RequestError).code).toBe("INVALID_ARGUMENT");
    expect((error as RequestError).message.startsWith(`${field}:`)).toBe(true);
    expect((error as RequestError).message).toMatch(detail);
  });
});

describe("mechanisms element", () => {
  it("puts the chosen mechanism on the connection for the next element", async () => {
    const r = recorder();
    const handler = mechanisms(["KERNEL"], (id) => `nsc-${id}`, "file:///run/netns/nse-a")(r.next);
    await handler.request(req({ id: "c1" }, [memif, kernel]), ctx());
    expect(r.requests[0]!.req.connection!.mechanism).toEqual({
      cls: "LOCAL",
      type: "KERNEL",
      parameters: { name: "nsc-c1", inodeURL: "file:///run/netns/nse-a" },
    });
  });

  it("names the network namespace the link ends in, replacing whatever arrived (NSM's kernel server)", () => {
    const theirs = { ...kernel, parameters: { inodeURL: "inode://4/4026531993" } };
    for (const m of [theirs, memif]) {
      const chosen = selectMechanism(
        req({ id: "c" }, [m]),
        ["KERNEL", "MEMIF"],
        "nsc-1",
        "file:///run/netns/x",
      );
      expect(chosen.parameters.inodeURL).toBe("file:///run/netns/x");
    }
    expect(selectMechanism(req({ id: "c" }, [kernel]), ["KERNEL"], "n").parameters.inodeURL).toBe(
      "file:///proc/thread-self/ns/net",
    );
  });
});
