// quote/clip: a client's value in a status or log line is cut to 128 characters.
import { describe, expect, it } from "vitest";
import { clip, QUOTE_MAX, quote } from "../../../src/util/quote.js";

describe("quote", () => {
  it("quotes a short value whole", () => {
    expect(quote("vl3")).toBe('"vl3"');
    expect(quote(" 1.2.3.4/32")).toBe('" 1.2.3.4/32"');
  });

  it("cuts a long value to QUOTE_MAX characters and says how long it was", () => {
    const q = quote("x".repeat(100_000));
    expect(q).toBe(`"${"x".repeat(QUOTE_MAX)}"… (100000 characters)`);
  });

  it("clips for structured log fields", () => {
    expect(clip("abc")).toBe("abc");
    expect(clip("y".repeat(500))).toHaveLength(QUOTE_MAX + 1);
  });
});
