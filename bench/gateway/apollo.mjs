// Apollo Gateway (a peer in bench/gateway) serving a supergraph file.
// Run only with APOLLO_TELEMETRY_DISABLED=true. Usage: node apollo.mjs <supergraph file> <port>
import { readFileSync } from "node:fs";
import { ApolloGateway } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";

if (process.env.APOLLO_TELEMETRY_DISABLED !== "true") {
  console.error("refusing to start: set APOLLO_TELEMETRY_DISABLED=true");
  process.exit(2);
}
const gateway = new ApolloGateway({ supergraphSdl: readFileSync(process.argv[2], "utf8") });
const server = new ApolloServer({ gateway, csrfPrevention: false, introspection: false });
const { url } = await startStandaloneServer(server, { listen: { port: Number(process.argv[3]), host: "127.0.0.1" } });
process.stdout.write(`Apollo Gateway at ${url}\n`);
