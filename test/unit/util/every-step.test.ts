// everyStep (util/every-step.ts): a step that throws does not keep the later ones from running; the
// error is logged naming the step and thrown again at the end (an AggregateError when several failed).
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../../src/log.js";
import { everyStep } from "../../../src/util/every-step.js";

describe("everyStep", () => {
  it("runs every step in order and resolves when none throws", async () => {
    const ran: string[] = [];
    await everyStep(
      "test",
      [
        ["a", () => ran.push("a")],
        ["b", async () => ran.push("b")],
      ],
      silentLogger(),
    );
    expect(ran).toEqual(["a", "b"]);
  });

  it("runs the steps after one that throws (sync or async) and throws that error at the end", async () => {
    const ran: string[] = [];
    const boom = new Error("boom");
    await expect(
      everyStep(
        "test",
        [
          ["a", () => ran.push("a")],
          [
            "b",
            () => {
              throw boom;
            },
          ],
          ["c", async () => ran.push("c")],
        ],
        silentLogger(),
      ),
    ).rejects.toBe(boom);
    expect(ran).toEqual(["a", "c"]);
  });

  it("throws an AggregateError naming the steps when several fail", async () => {
    const ran: string[] = [];
    const error = await everyStep(
      "stopping",
      [
        ["x", async () => Promise.reject(new Error("one"))],
        ["y", () => ran.push("y")],
        [
          "z",
          () => {
            throw new Error("two");
          },
        ],
      ],
      silentLogger(),
    ).catch((e: unknown) => e);
    expect(ran).toEqual(["y"]);
    expect(error).toBeInstanceOf(AggregateError);
    expect((error as AggregateError).message).toBe("stopping: 2 steps failed (x, z)");
    expect((error as AggregateError).errors.map((e: Error) => e.message)).toEqual(["one", "two"]);
  });
});
