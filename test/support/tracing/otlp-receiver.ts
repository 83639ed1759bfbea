// An in-process OTLP/gRPC trace receiver on loopback, standing in for an OpenTelemetry collector:
// it decodes every Export into flat spans (hex ids, attributes as strings) for tests to look at.
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  /** 1 internal, 2 server, 3 client. */
  kind: number;
  attributes: Record<string, string>;
  events: { name: string; attributes: Record<string, string> }[];
  status: { code: number; message: string };
}

export interface OtlpReceiver {
  /** host:port, as NSM_OPEN_TELEMETRY_ENDPOINT takes it. */
  endpoint: string;
  spans: ReceivedSpan[];
  stop(): Promise<void>;
}

type KeyValue = { key: string; value?: Record<string, unknown> };
const flat = (list: KeyValue[] = []) =>
  Object.fromEntries(list.map((kv) => [kv.key, String(Object.values(kv.value ?? {})[0] ?? "")]));
const hex = (b?: Buffer) => (b ? Buffer.from(b).toString("hex") : "");

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const definition = protoLoader.loadSync(fileURLToPath(new URL("./otlp-trace.proto", import.meta.url)), {
    keepCase: true,
    longs: String,
    oneofs: false,
  });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    opentelemetry: {
      proto: { collector: { trace: { v1: { TraceService: { service: grpc.ServiceDefinition } } } } };
    };
  };
  const spans: ReceivedSpan[] = [];
  const server = new grpc.Server();
  server.addService(pkg.opentelemetry.proto.collector.trace.v1.TraceService.service, {
    Export: (call: grpc.ServerUnaryCall<Record<string, never>, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      const req = call.request as unknown as {
        resource_spans: {
          resource?: { attributes: KeyValue[] };
          scope_spans: { spans: Record<string, never>[] }[];
        }[];
      };
      for (const rs of req.resource_spans) {
        const service = flat(rs.resource?.attributes)["service.name"] ?? "";
        for (const ss of rs.scope_spans)
          for (const s of ss.spans as unknown as Array<Record<string, never>>) {
            const span = s as unknown as {
              trace_id: Buffer;
              span_id: Buffer;
              parent_span_id: Buffer;
              name: string;
              kind: number;
              attributes: KeyValue[];
              events: { name: string; attributes: KeyValue[] }[];
              status?: { code: number; message: string };
            };
            spans.push({
              service,
              traceId: hex(span.trace_id),
              spanId: hex(span.span_id),
              parentSpanId: hex(span.parent_span_id),
              name: span.name,
              kind: span.kind,
              attributes: flat(span.attributes),
              events: (span.events ?? []).map((e) => ({ name: e.name, attributes: flat(e.attributes) })),
              status: { code: span.status?.code ?? 0, message: span.status?.message ?? "" },
            });
          }
      }
      cb(null, {});
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  return { endpoint: `127.0.0.1:${port}`, spans, stop: async () => void server.forceShutdown() };
}
