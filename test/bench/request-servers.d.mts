import type { MethodDefinition } from "@grpc/grpc-js";
import type { Connection } from "../../src/grpc/gen/networkservice/connection.js";

/** The echo's method, with the same codec in both directions. */
export function echoMethod(): Promise<MethodDefinition<Connection, Connection>>;
