// The GraphQL-over-HTTP audit of `graphql-http` against a server URL: one JSON line
// per audit ({id, name, status: "ok" | "warn" | "error", reason}).
import { serverAudits } from "graphql-http";

const url = process.argv[2];
if (!url) {
  console.error("usage: node graphql-http-audit.mjs <url>");
  process.exit(2);
}
const results = [];
for (const audit of serverAudits({ url })) {
  const result = await audit.fn();
  results.push({ id: audit.id, name: audit.name, status: result.status, reason: result.reason ?? null });
}
process.stdout.write(JSON.stringify(results) + "\n");
