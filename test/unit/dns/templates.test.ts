// NSM_DNS_TEMPLATES: the subset of Go's text/template that NSM's vL3 uses, rendered as NSM renders
// it; the names and search domains it gives, and a TemplateError for what is outside the subset.
import { describe, expect, it } from "vitest";
import {
  DEFAULT_TEMPLATES,
  namesFor,
  parseTemplate,
  parseTemplates,
  searchDomainsFor,
  TemplateError,
} from "../../../src/dns/templates.js";

const data = (labels: Record<string, string>, service = "vl3-service") => ({
  Id: "conn-1",
  NetworkService: service,
  NetworkServiceEndpointName: "nse-a",
  Payload: "IP",
  Labels: labels,
});

describe("DNS name templates (NSM_DNS_TEMPLATES)", () => {
  it("NSM's default template names podName=alpha on vl3-service alpha.vl3-service.", () => {
    expect(namesFor(parseTemplates(DEFAULT_TEMPLATES), data({ podName: "alpha" }))).toEqual([
      "alpha.vl3-service.",
    ]);
  });

  it.each([
    ["{{ .Labels.podName }}.{{ .NetworkService }}", { podName: "b" }, "vl3-dns", ["b.vl3-dns."]],
    [
      '{{- index .Labels "app" -}} . {{- .NetworkServiceEndpointName }}.x.',
      { app: "web" },
      "s",
      ["web.nse-a.x."],
    ],
    [
      "{{ target .NetworkService }}.{{ domain .NetworkService }}.",
      {},
      "vl3@cluster.local",
      ["vl3.cluster.local."],
    ],
    ["{{ .NetworkService | target }}.", {}, "vl3@dom", ["vl3."]],
    ['{{ index .Labels "podName" }}..{{ .NetworkService }}.', { podName: "Alpha" }, "S", ["alpha.s."]],
    ["{{ .Id }}.ids.", {}, "s", ["conn-1.ids."]],
  ])("%s renders as NSM does", (template, labels, service, names) => {
    expect(namesFor([parseTemplate(template)], data(labels, service))).toEqual(names);
  });

  it("a name with an empty label (a peer without podName) is no name, not a junk record", () => {
    expect(namesFor(parseTemplates(DEFAULT_TEMPLATES), data({}))).toEqual([]);
  });

  it("several templates, split on commas outside actions, give several names", () => {
    const t = parseTemplates('{{ index .Labels "podName" }}.{{ .NetworkService }}., {{ .Id }}.byid.');
    expect(namesFor(t, data({ podName: "a" }))).toEqual(["a.vl3-service.", "conn-1.byid."]);
  });

  it.each([
    "{{ .Labels",
    "{{ nosuch .Labels }}",
    "{{ | }}",
    '{{ "unterminated }}',
  ])("%s is refused with the reason", (bad) => {
    expect(() => parseTemplate(bad)).toThrow(TemplateError);
  });

  it("search domains are every proper suffix of the names, as NSM makes them", () => {
    expect(searchDomainsFor(["a.b.c.d."])).toEqual(["b.c.d", "c.d", "d"]);
    expect(searchDomainsFor(["alpha.vl3-service."])).toEqual(["vl3-service"]);
  });
});
