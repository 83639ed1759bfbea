// How the fake API server reads a request: which group, resource, namespace, name and RBAC verb.
import type { IncomingMessage } from "node:http";
import type { Verb } from "../../../src/k8s/api-calls.js";

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  group: string;
  resource: string;
  verb: Verb | "deletecollection" | "unknown";
  namespace?: string;
  name?: string;
  status: number;
  body?: unknown;
}

const ROUTE = /^\/(?:api\/v1|apis\/([a-z0-9.-]+)\/v1)\/namespaces\/([a-z0-9-]+)\/([a-z]+)(?:\/([^/]+))?$/;

export function parseRequest(
  req: IncomingMessage,
  base: string,
): { rec: RecordedRequest; url: URL; route: RegExpExecArray | null } {
  const url = new URL(req.url ?? "/", base);
  const query = Object.fromEntries(url.searchParams);
  const m = ROUTE.exec(url.pathname);
  const rec: RecordedRequest = {
    method: req.method ?? "GET",
    path: url.pathname,
    query,
    group: m?.[1] ?? "",
    resource: m?.[3] ?? "",
    namespace: m?.[2],
    name: m?.[4] && decodeURIComponent(m[4]),
    verb: verbOf(req.method ?? "GET", m?.[4] !== undefined, query.watch),
    status: 0,
  };
  return { rec, url, route: m };
}

function verbOf(method: string, named: boolean, watch: string | undefined): RecordedRequest["verb"] {
  if (method === "GET") return named ? "get" : watch === "true" || watch === "1" ? "watch" : "list";
  if (method === "POST") return "create";
  if (method === "PUT") return "update";
  if (method === "PATCH") return "patch";
  if (method === "DELETE") return named ? "delete" : "deletecollection";
  return "unknown";
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
