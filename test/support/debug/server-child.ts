// A process that serves the debug server, is scraped and polled with keep-alive, closes it and must
// then exit by itself (nothing of the server, its sockets or the metrics may hold the event loop).
import { startDebugServer } from "../../../src/debug/server.js";
import { silentLogger } from "../../../src/log.js";
import { FakeObservable, sampleMesh } from "./fake-observable.js";

const server = await startDebugServer({
  port: 0,
  observable: new FakeObservable(sampleMesh()),
  log: silentLogger(),
});
for (const path of ["/metrics", "/debug/actors", "/debug/ui", "/readyz"])
  await (await fetch(server.url + path)).text();
await server.close();
console.log("closed");
