// The vpp-agent data-plane back end, and the fake agent that tests and the demo run against.
export { AgentCallError, ConfiguratorClient } from "./client.js";
export { VppAgentDataplane, type VppAgentDataplaneOptions } from "./dataplane.js";
export { type FakeAgent, startFakeAgent } from "./fake-agent.js";
export type { FailKeys, TxnOperation, ValueState } from "./fake-store.js";
export { interfaceKey, routeKey } from "./keys.js";
