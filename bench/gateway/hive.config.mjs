// Hive Gateway for bench/gateway: no deduplication of in-flight subgraph requests
// (on by default), as for the other gateways.
export const gatewayConfig = {
  transportEntries: { "*": { options: { deduplicateInflightRequests: false } } },
};
