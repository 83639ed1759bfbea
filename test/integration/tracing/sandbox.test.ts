// Tracing across the sandbox: a peer link's Request, dialled by one endpoint through an nsmgr (which
// passes the W3C trace context on, as NSM's does), is one trace: the dialler's client span and the
// serving endpoint's server span under it, with the serving side's data-plane transaction inside.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../../src/sandbox/index.js";
import {
  type OtlpReceiver,
  type ReceivedSpan,
  startOtlpReceiver,
} from "../../support/tracing/otlp-receiver.js";
import { eventually, QUICK } from "../mesh/helpers.js";

const SERVER = 2;
const CLIENT = 3;

describe("tracing in the sandbox: one trace per peer-link Request", () => {
  let receiver: OtlpReceiver;
  let sb: Sandbox;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    sb = await startSandbox({
      ...QUICK,
      endpointSettings: { NSM_OPEN_TELEMETRY_ENDPOINT: receiver.endpoint },
    });
    // nse-a sorts first: it dials nse-b.
    await Promise.all([sb.startEndpoint("nse-a"), sb.startEndpoint("nse-b")]);
  });
  afterAll(async () => {
    await sb?.stop();
    await receiver?.stop();
  });

  it("joins the dialler's client span and the server span of the endpoint it reached", async () => {
    const joined = await eventually(() => {
      const served = receiver.spans.filter(
        (s) => s.service === "nse-b" && s.kind === SERVER && s.attributes["vl3.caller"] === "peer nse-a",
      );
      const pair = served
        .map((server) => ({
          server,
          client: receiver.spans.find((c) => c.spanId === server.parentSpanId) as ReceivedSpan | undefined,
        }))
        .find((p) => p.client);
      if (!pair) throw new Error(`no joined peer Request among ${receiver.spans.length} spans`);
      return pair as { server: ReceivedSpan; client: ReceivedSpan };
    }, 20_000);
    expect(joined.client).toMatchObject({
      service: "nse-a",
      kind: CLIENT,
      name: "networkservice.NetworkService/Request",
      traceId: joined.server.traceId,
    });
    expect(joined.server.name).toBe("networkservice.NetworkService/Request");
    await eventually(() => {
      const txn = receiver.spans.find(
        (s) => s.name === "dataplane.transaction" && s.parentSpanId === joined.server.spanId,
      );
      if (!txn) throw new Error("no data-plane span under the served Request");
      expect(txn.traceId).toBe(joined.server.traceId);
    }, 10_000);
  });
});
