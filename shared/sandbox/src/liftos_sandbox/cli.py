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
    url: Annotated[
        str | None,
        typer.Option(
            help="Ask the live sandbox serving at URL (its world, as of its today; default end today)."
        ),
    ] = None,
) -> None:
    """Print the ground truth (spend, revenue lift, iROAS, mROAS, platform ROAS per channel) as JSON."""
    check_window(start, end, "--start", "--end")
    if url is not None:
        _print_json(_live_truth(url, start, end))
        return
    from liftos_sandbox.world import WorldSpec, simulate_world

    spec = WorldSpec(seed=seed, scenario=scenario.value, entities_per_channel=entities)
    try:
        result = simulate_world(spec).truth(start, end)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error
    _print_json(result)


def _live_truth(url: str, start: date | None, end: date | None) -> dict[str, Any]:
    """``GET {url}/sandbox/truth`` of a running live sandbox; a refusal is a one-line error."""
    import httpx

    from liftos.errors import ConfigError

    params = {k: v.isoformat() for k, v in (("start", start), ("end", end)) if v is not None}
    try:
        response = httpx.get(f"{url.rstrip('/')}/sandbox/truth", params=params, timeout=30.0)
    except httpx.HTTPError as error:
        raise ConfigError(f"cannot reach the sandbox at {url}: {error}") from error
    body: dict[str, Any] = response.json() if response.content else {}
    if response.status_code == 404:
        raise ConfigError(f"the sandbox at {url} is not live (start it with --live)")
    if response.status_code != 200:
        raise typer.BadParameter(str(body.get("error", response.text)))
    return body


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
    drift_start: Annotated[
        date | None, day_option("Drift scenario: the day the change is centred on (default the middle).")
    ] = None,
    live: Annotated[
        bool, typer.Option(help="Move the emulators' today on a clock (--days-per-minute) up to --end.")
    ] = False,
    days_per_minute: Annotated[
        float, typer.Option(min=0.01, max=1440.0, help="Live: simulated days per wall-clock minute.")
    ] = 10.0,
    today: Annotated[
        date | None, day_option("Live: the day the clock starts at (default 90 days before --end).")
    ] = None,
    origin_unix: Annotated[
        float | None,
        typer.Option(
            help="Live: wall time (unix s) the clock starts (default now); until then it serves the"
            " history up to the day before --today."
        ),
    ] = None,
) -> None:
    """Without a sub-command: serve the emulators in the foreground until SIGTERM (needs --port)."""
    if ctx.invoked_subcommand is not None:
        return
    if port is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(code=2)
    from liftos_sandbox.emulators.server import LiveOptions, serve

    if today is not None and end is not None and not today <= end:
        raise typer.BadParameter(f"--today {today} is after --end {end}", param_hint="--today")
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
        LiveOptions(days_per_minute, today, origin_unix) if live else None,
        drift_start,
    )
