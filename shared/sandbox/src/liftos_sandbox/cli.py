"""``liftos sandbox``: print the simulated world's ground truth and the credentials its emulators accept."""

from __future__ import annotations

import sys
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

import orjson
import typer

from liftos.cli_options import check_window, day_option

__all__ = ["app"]

app = typer.Typer(
    help="The sandbox: a simulated business with known causal effects, and emulators of its ad platforms.",
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


class ScenarioChoice(StrEnum):
    """Scenarios selectable on the command line."""

    easy = "easy"
    default = "default"
    hard = "hard"
    drift = "drift"


SeedOption = Annotated[int, typer.Option("--seed", min=0, help="Seed of the simulated world.")]


def _print_json(payload: dict[str, Any]) -> None:
    sys.stdout.buffer.write(orjson.dumps(payload, option=orjson.OPT_INDENT_2) + b"\n")
    sys.stdout.flush()


@app.command("truth")
def truth(
    seed: SeedOption,
    scenario: Annotated[ScenarioChoice, typer.Option(help="World scenario.")] = ScenarioChoice.default,
    start: Annotated[date | None, day_option("First day of the window.")] = None,
    end: Annotated[date | None, day_option("Last day of the window, inclusive.")] = None,
    entities: Annotated[int, typer.Option(min=6, help="Leaf entities per channel.")] = 60,
) -> None:
    """Print the ground truth (spend, revenue lift, iROAS, mROAS, platform ROAS per channel) as JSON."""
    from liftos_sandbox.world import WorldSpec, simulate_world

    spec = WorldSpec(seed=seed, scenario=scenario.value, entities_per_channel=entities)
    check_window(start, end, "--start", "--end")
    try:
        result = simulate_world(spec).truth(start, end)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error
    _print_json(result)


#: Keys of ``liftos sandbox credentials --format toml``: what a user puts in ``liftos.secrets.toml``
#: (the secrets, and the Google manager whose client customers are discovered; no pinned customer).
_SECRETS_FILE_KEYS = {
    "meta": ("access_token", "app_secret"),
    "google_ads": ("developer_token", "client_id", "client_secret", "refresh_token", "login_customer_id"),
    "klaviyo": ("api_key",),
}


def _secrets_toml(creds: dict[str, dict[str, str]]) -> str:
    lines = ["# liftos.secrets.toml for the sandbox (keep real secrets files out of git)"]
    for source, keys in _SECRETS_FILE_KEYS.items():
        lines += ["", f"[sources.{source}]"]
        lines += [f'{key} = "{creds[source][key]}"' for key in keys]
    return "\n".join(lines) + "\n"


class CredentialsFormat(StrEnum):
    """Output formats of ``liftos sandbox credentials``."""

    json = "json"
    toml = "toml"


@app.command("credentials")
def credentials(
    seed: SeedOption,
    output: Annotated[
        CredentialsFormat, typer.Option("--format", help="json, or toml for liftos.secrets.toml")
    ] = CredentialsFormat.json,
) -> None:
    """Print the credentials the emulators of the world of SEED accept (JSON, or a secrets file)."""
    from liftos_sandbox.credentials import credentials_for_seed

    creds = credentials_for_seed(seed)
    if output is CredentialsFormat.toml:
        sys.stdout.write(_secrets_toml(creds))
        sys.stdout.flush()
        return
    _print_json(creds)


@app.callback(invoke_without_command=True)
def serve_emulators(
    ctx: typer.Context,
    port: Annotated[int | None, typer.Option(help="Serve the three emulators on PORT.")] = None,
    host: Annotated[str, typer.Option(help="Interface to bind (loopback by default).")] = "127.0.0.1",
    seed: Annotated[int, typer.Option("--seed", min=0, help="Seed of the simulated world.")] = 0,
    scenario: Annotated[ScenarioChoice, typer.Option(help="World scenario.")] = ScenarioChoice.default,
    fault_rate: Annotated[float, typer.Option(min=0.0, max=1.0, help="Share of requests that fail.")] = 0.0,
    latency_ms: Annotated[float, typer.Option(min=0.0, help="Added latency per request (ms).")] = 0.0,
    start: Annotated[date | None, day_option("First simulated day.")] = None,
    end: Annotated[date | None, day_option("Last simulated day, the emulators' today.")] = None,
    entities: Annotated[int | None, typer.Option(min=6, help="Leaf entities per channel.")] = None,
    rate_limits: Annotated[
        bool, typer.Option(help="Enforce Klaviyo's documented rate tiers (off for fast demos and tests).")
    ] = True,
    revoke: Annotated[
        list[str] | None,
        typer.Option(help="Refuse this platform's credentials as revoked (meta, google_ads, klaviyo)."),
    ] = None,
) -> None:
    """Without a sub-command: serve the emulators in the foreground until SIGTERM (needs --port)."""
    if ctx.invoked_subcommand is not None:
        return
    if port is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(code=2)
    from liftos_sandbox.emulators.server import serve

    serve(
        port,
        host,
        seed,
        scenario.value,
        fault_rate,
        latency_ms,
        start,
        end,
        entities,
        rate_limits,
        tuple(revoke or ()),
    )
