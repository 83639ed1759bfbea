// The request and close metrics follow real calls: a real NSE with its debug server, a real grpc-js
// client on a unix socket, and /metrics read over HTTP.
import { afterEach, describe, expect, it } from "vitest";
import { nscRequest, startTestNse, type TestNse } from "../../support/endpoint.js";

describe("live request metrics", () => {
  let t: TestNse | undefined;
  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  it("counts Requests by outcome and code, and Closes, as the NSE serves them", async () => {
    t = await startTestNse({ env: { NSM_DEBUG_LISTEN_ON: "tcp://127.0.0.1:0" } });
    const first = nscRequest({ name: "nsc-1" });
    const conn = await t.request(first);
    await t.request({ ...first, connection: conn }); // NSM's refresh: the answer sent back
    const other = nscRequest({ name: "nsc-2" });
    const wrong = { ...other, connection: { ...other.connection, networkService: "another-service" } };
    await expect(t.request(wrong)).rejects.toMatchObject({ code: 3 }); // INVALID_ARGUMENT
    await t.close(conn);
    const text = await fetch(`${t.nse.debugUrl}/metrics`).then((r) => r.text());
    expect(text).toContain('vl3_requests_total{kind="client",outcome="ok",code="OK"} 2');
    expect(text).toContain('vl3_requests_total{kind="client",outcome="error",code="INVALID_ARGUMENT"} 1');
    expect(text).toContain('vl3_closes_total{outcome="ok"} 1');
    expect(text).toMatch(/vl3_request_duration_seconds_count\{kind="client",outcome="ok"\} 2/);
    expect(text).toContain(
      'vl3_request_rejections_total{rpc="Request",code="INVALID_ARGUMENT",field="connection.network_service"} 1',
    );
  });
});
