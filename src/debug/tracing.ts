// OpenTelemetry tracing as NSM does it (NSM_OPEN_TELEMETRY_ENDPOINT): a server span per Request and
// Close (the chain's trace element), a client span and W3C traceparent per outbound unary call (one
// gRPC interceptor, given to the transport), and data-plane transactions and actor transitions from the
// lifecycle signals. Spans go over OTLP/gRPC to the collector NSM's components use, so a trace joins
// NSM's own. Loaded with import() only when the setting is on: nothing of OpenTelemetry loads otherwise.
import * as grpc from "@grpc/grpc-js";
import { type Context, context, type Span, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-grpc";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, type SpanExporter, TracerProvider } from "@opentelemetry/sdk-trace";
import type { Observable } from "../actors/observe.js";
import type { CallSpans } from "../chain/trace.js";
import type { Logger } from "../log.js";

export interface TracingOptions {
  /** host:port or http://host:port of an OTLP/gRPC collector. */
  endpoint: string;
  /** service.name of every span: the NSE's name. */
  serviceName: string;
  log: Logger;
  /** Instead of the OTLP exporter (tests). */
  exporter?: SpanExporter;
}

export interface Tracing {
  /** For the chain's trace element. */
  spans: CallSpans;
  /** For every outbound call: a client span for unary calls, the W3C trace context in the metadata. */
  interceptor: grpc.Interceptor;
  /** Data-plane transactions as spans, actor transitions as events of the span they happen in. */
  observe(observable: Pick<Observable, "onSignal">): () => void;
  /** Sends what is left and stops. */
  shutdown(): Promise<void>;
}

const propagator = new W3CTraceContextPropagator();
const getter = {
  keys: (carrier: Record<string, string | undefined>) => Object.keys(carrier),
  get: (carrier: Record<string, string | undefined>, key: string) => carrier[key],
};

/** The collector's URL as the exporter wants it; NSM's setting is a bare host:port. */
export function collectorUrl(endpoint: string): string {
  return /^https?:\/\//.test(endpoint) ? endpoint : `http://${endpoint}`;
}

export function startTracing(o: TracingOptions): Tracing {
  // Spans follow the work across awaits; one context manager per process serves every NSE in it.
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const exporter = o.exporter ?? new OTLPTraceExporter({ url: collectorUrl(o.endpoint) });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ "service.name": o.serviceName }),
    spanProcessors: [new BatchSpanProcessor({ exporter, scheduledDelayMillis: 500 })],
  });
  const tracer = provider.getTracer("vl3-nse");
  o.log.info({ collector: collectorUrl(o.endpoint) }, "tracing to an OpenTelemetry collector");

  const finish = (span: Span, error?: unknown) => {
    if (error !== undefined) {
      const e = error as { code?: unknown; message?: string };
      span.setStatus({ code: SpanStatusCode.ERROR, message: e?.message ?? String(error) });
      if (typeof e?.code === "string") span.setAttribute("rpc.grpc.status_name", e.code);
    }
    span.end();
  };

  const spans: CallSpans = {
    serve: (method, ctx, attributes, work) => {
      const parent: Context = ctx.trace
        ? propagator.extract(context.active(), ctx.trace, getter)
        : context.active();
      const span = tracer.startSpan(
        `networkservice.NetworkService/${method}`,
        {
          kind: SpanKind.SERVER,
          attributes: {
            "rpc.system": "grpc",
            "rpc.service": "networkservice.NetworkService",
            "rpc.method": method,
            ...attributes,
          },
        },
        parent,
      );
      return context.with(trace.setSpan(parent, span), work).then(
        (value) => {
          finish(span);
          return value;
        },
        (error: unknown) => {
          finish(span, error);
          throw error;
        },
      );
    },
  };

  return {
    spans,
    interceptor: outbound(tracer, finish),
    observe: (observable) =>
      observable.onSignal((s) => {
        if (s.type === "dataplane") {
          const end = Date.now();
          const span = tracer.startSpan("dataplane.transaction", {
            kind: SpanKind.INTERNAL,
            startTime: end - s.seconds * 1000,
            attributes: {
              "vl3.dataplane.backend": s.backend,
              "vl3.dataplane.items": s.items,
              "vl3.outcome": s.outcome,
            },
          });
          if (s.outcome === "error") span.setStatus({ code: SpanStatusCode.ERROR });
          span.end(end);
        } else if (s.type === "transition") {
          trace
            .getActiveSpan()
            ?.addEvent("transition", { "vl3.actor": s.id, "vl3.from": s.from, "vl3.to": s.to });
        }
      }),
    shutdown: async () => {
      await provider.shutdown().catch((err) => o.log.warn({ err }, "tracing: could not send the last spans"));
    },
  };
}

/** A client span per unary call (peer links, registry, prefix server, vpp-agent) and propagation for all. */
function outbound(
  tracer: ReturnType<TracerProvider["getTracer"]>,
  finish: (span: Span, error?: unknown) => void,
): grpc.Interceptor {
  return (options, nextCall) => {
    const path = options.method_definition.path.replace(/^\//, "");
    const unary = !options.method_definition.requestStream && !options.method_definition.responseStream;
    // Streams (watches, monitors) live for hours: they carry the context but get no span of their own.
    const span = unary
      ? tracer.startSpan(path, { kind: SpanKind.CLIENT, attributes: { "rpc.system": "grpc" } })
      : undefined;
    const ctx = span ? trace.setSpan(context.active(), span) : context.active();
    return new grpc.InterceptingCall(nextCall(options), {
      start: (metadata, _listener, next) => {
        const carrier: Record<string, string> = {};
        propagator.inject(ctx, carrier, { set: (c, k, v) => (c[k] = v) });
        for (const [key, value] of Object.entries(carrier)) metadata.set(key, value);
        next(metadata, {
          onReceiveStatus: (status, nextStatus) => {
            if (span)
              finish(
                span,
                status.code === grpc.status.OK
                  ? undefined
                  : { message: status.details, code: grpc.status[status.code] },
              );
            nextStatus(status);
          },
        });
      },
    });
  };
}
