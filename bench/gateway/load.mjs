// The load: autocannon posting one operation, with every response's latency kept
// so that p95 is exact. Usage: node load.mjs <url> <body.json> <connections> <seconds>
// Prints one JSON line: {rps, requests, p50, p95, p99, errors, non2xx, bytes}.
import { readFileSync } from "node:fs";
import autocannon from "autocannon";

const [url, bodyFile, connections, seconds] = process.argv.slice(2);
const latencies = [];
const instance = autocannon({
  url,
  method: "POST",
  headers: { "content-type": "application/json", accept: "application/json" },
  body: readFileSync(bodyFile, "utf8"),
  connections: Number(connections),
  duration: Number(seconds),
});
instance.on("response", (client, statusCode, bytes, responseTime) => {
  if (statusCode === 200) latencies.push(responseTime);
});
instance.on("done", (result) => {
  latencies.sort((a, b) => a - b);
  const at = (p) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? null;
  process.stdout.write(JSON.stringify({
    rps: result.requests.average, requests: result.requests.total, p50: at(0.5), p95: at(0.95), p99: at(0.99),
    errors: result.errors, non2xx: result.non2xx, bytes: result.throughput.total / Math.max(result.requests.total, 1),
  }) + "\n");
});
