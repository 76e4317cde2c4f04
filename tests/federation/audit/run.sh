#!/bin/sh
# The Federation Gateway Audit's --run-script: the audit calls it once per suite with
# the suite's id; it writes that suite's supergraph and serves it with our gateway on
# :4000. The audit itself is not on the npm registry and is never committed here: build
# graphql-hive/federation-gateway-audit (v0.0.3) beside the checkout, install its tarball
# in a folder of its own, point AUDIT_BIN at its `graphql-federation-audit`, then, from
# a scratch folder:
#   PATH=<checkout>/.venv/bin:$PATH $AUDIT_BIN test --run-script <checkout>/tests/federation/audit/run.sh \
#     --graphql http://localhost:4000/graphql --healthcheck http://localhost:4000/health
set -eu
: "${AUDIT_BIN:?set AUDIT_BIN to the audit runner's graphql-federation-audit}"
checkout="$(cd "$(dirname "$0")/../../.." && pwd)"
work="${TMPDIR:-/tmp}/loyalty-federation-audit"  # the audit runs this from the script's folder
mkdir -p "$work"
"$AUDIT_BIN" supergraph --cwd "$work" --test "$1"
exec "$checkout/.venv/bin/loyalty" serve gateway --supergraph "$work/supergraph.graphql" --host 127.0.0.1 --port 4000
