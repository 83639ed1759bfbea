// Tracing against an in-process OTLP/gRPC receiver: a Request and a Close sent with a W3C traceparent
// get server spans in the caller's trace, the data-plane transaction and the connection's transitions
// sit inside the Request's span; an outbound call made inside a span carries its context and gets a
// client span; without the setting nothing of OpenTelemetry is imported.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  HealthClient,
  type HealthServer,
  HealthService,
} from "../../../src/grpc/gen/grpc/health/v1/health.js";
import type { Connection } from "../../../src/grpc/gen/networkservice/connection.js";
import { NetworkServiceRequest } from "../../../src/grpc/gen/networkservice/networkservice.js";
import { Transport } from "../../../src/grpc/transport.js";
import { silentLogger } from "../../../src/log.js";
import { nscRequest, startTestNse, type TestNse } from "../../support/endpoint.js";
import {
  type OtlpReceiver,
  type ReceivedSpan,
  startOtlpReceiver,
} from "../../support/tracing/otlp-receiver.js";
import { eventually } from "../mesh/helpers.js";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN = "00f067aa0ba902b7";
const SERVER = 2;
const CLIENT = 3;

const withTrace = (span: string) => {
  const md = new grpc.Metadata();
  md.set("traceparent", `00-${TRACE}-${span}-01`);
  return md;
};

describe("tracing (NSM_OPEN_TELEMETRY_ENDPOINT) against an in-process OTLP receiver", () => {
  let receiver: OtlpReceiver;
  let t: TestNse;
  const find = (pick: (s: ReceivedSpan) => boolean, what: string) =>
    eventually(() => {
      const span = receiver.spans.find(pick);
      if (!span) throw new Error(`no ${what} among ${receiver.spans.map((s) => s.name).join(", ")}`);
      return span;
    }, 15_000);

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    t = await startTestNse({ env: { NSM_OPEN_TELEMETRY_ENDPOINT: receiver.endpoint } });
  });
  afterAll(async () => {
    await t?.stop();
    await receiver?.stop();
  });

  it("gives a Request and a Close server spans in the caller's trace, with the data plane and transitions inside", async () => {
    const request = NetworkServiceRequest.fromPartial(nscRequest({ name: "nsc-traced" }));
    const conn = await new Promise<Connection>((resolve, reject) =>
      t.ns.request(request, withTrace(CALLER_SPAN), { deadline: Date.now() + 10_000 }, (e, r) =>
        e ? reject(e) : resolve(r),
      ),
    );
    await new Promise<void>((resolve, reject) =>
      t.ns.close(conn, withTrace("00f067aa0ba902b8"), { deadline: Date.now() + 10_000 }, (e) =>
        e ? reject(e) : resolve(),
      ),
    );

    const req = await find((s) => s.name === "networkservice.NetworkService/Request", "Request span");
    expect(req).toMatchObject({
      service: "nse-test",
      traceId: TRACE,
      parentSpanId: CALLER_SPAN,
      kind: SERVER,
    });
    expect(req.attributes).toMatchObject({
      "nsm.connection.id": "nsc-traced-conn",
      "vl3.caller": "nsc",
      "rpc.method": "Request",
    });
    const states = req.events.filter((e) => e.name === "transition").map((e) => e.attributes["vl3.to"]);
    expect(states).toEqual(expect.arrayContaining(["programming", "up"]));

    const txn = await find(
      (s) => s.name === "dataplane.transaction" && s.parentSpanId === req.spanId,
      "data-plane span",
    );
    expect(txn).toMatchObject({
      traceId: TRACE,
      attributes: { "vl3.dataplane.backend": "memory", "vl3.outcome": "ok" },
    });

    const close = await find((s) => s.name === "networkservice.NetworkService/Close", "Close span");
    expect(close).toMatchObject({ traceId: TRACE, parentSpanId: "00f067aa0ba902b8", kind: SERVER });
  });

  it("marks a refused Request's span as an error", async () => {
    const bad = NetworkServiceRequest.fromPartial({
      connection: { id: "no-service", networkService: "" },
    });
    await new Promise<void>((resolve) =>
      t.ns.request(bad, withTrace("00f067aa0ba902b9"), (e) => resolve(void e)),
    );
    const span = await find((s) => s.parentSpanId === "00f067aa0ba902b9", "refused Request span");
    expect(span.status.code).toBe(2);
    expect(span.attributes["rpc.grpc.status_name"]).toBe("INVALID_ARGUMENT");
  });

  it("propagates the active span to an outbound call and gives it a client span", async () => {
    const { startTracing } = await import("../../../src/debug/tracing.js");
    const tracing = startTracing({ endpoint: receiver.endpoint, serviceName: "caller", log: silentLogger() });
    let seen = "";
    const server = new grpc.Server();
    const health: HealthServer = {
      check: (call, cb) => {
        seen = String(call.metadata.get("traceparent")[0] ?? "");
        cb(null, { status: 1 });
      },
      watch: (call) => call.end(),
    };
    server.addService(HealthService, health);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) =>
        e ? reject(e) : resolve(p),
      ),
    );
    const client = new Transport()
      .with({ interceptors: [tracing.interceptor] })
      .client(HealthClient, `tcp://127.0.0.1:${port}`);
    try {
      await tracing.spans.serve(
        "Request",
        { deadline: Date.now() + 5000, trace: { traceparent: `00-${TRACE}-00f067aa0ba902c0-01` } },
        {},
        () =>
          new Promise<void>((resolve, reject) =>
            client.check({ service: "" }, (e) => (e ? reject(e) : resolve())),
          ),
      );
      await tracing.shutdown();
      const call = await find((s) => s.service === "caller" && s.kind === CLIENT, "client span");
      expect(call.name).toBe("grpc.health.v1.Health/Check");
      const parent = receiver.spans.find((s) => s.spanId === call.parentSpanId)!;
      expect(parent).toMatchObject({ traceId: TRACE, kind: SERVER, parentSpanId: "00f067aa0ba902c0" });
      expect(seen).toBe(`00-${TRACE}-${call.spanId}-01`);
    } finally {
      client.close();
      server.forceShutdown();
    }
  });
});

describe("tracing off", () => {
  it("imports OpenTelemetry in src/debug/tracing.ts only, which nothing imports but dynamically", () => {
    const src = fileURLToPath(new URL("../../../src/", import.meta.url));
    const files = readdirSync(src, { recursive: true, withFileTypes: false })
      .map(String)
      .filter((f) => f.endsWith(".ts") && !f.includes("gen/"));
    const importsOtel = files.filter((f) =>
      /from "@opentelemetry\//.test(readFileSync(join(src, f), "utf8")),
    );
    expect(importsOtel).toEqual(["debug/tracing.ts"]);
    const staticImporters = files.filter((f) =>
      /^import .*from "[./]*(debug\/)?tracing\.js"/m.test(readFileSync(join(src, f), "utf8")),
    );
    expect(staticImporters).toEqual([]);
  });
});
