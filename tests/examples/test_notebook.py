"""``examples/causal_workflow.ipynb`` runs top to bottom (nbclient) against the in-process sandbox.

The kernel is this interpreter (the project's venv): a kernelspec pointing at ``sys.executable`` is
written to a temporary ``JUPYTER_PATH`` directory, so a system-wide ``python3`` kernel is never used.
The notebook starts the emulators itself on a free loopback port and writes its Excel export into the
working directory, a temporary one here.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[2] / "examples" / "causal_workflow.ipynb"
KERNEL = "liftos-test-venv"


def _venv_kernelspec(root: Path) -> None:
    """A kernelspec named :data:`KERNEL` under ``root/kernels`` that runs this interpreter."""
    spec = root / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": KERNEL, "language": "python"})
    )


def _errors(nb: nbformat.NotebookNode) -> list[str]:
    return [
        f"{output.get('ename')}: {output.get('evalue')}"
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]


def _text(nb: nbformat.NotebookNode) -> str:
    return "".join(str(output.get("text", "")) for cell in nb.cells for output in cell.get("outputs", []))


def test_seed_notebook_runs_top_to_bottom(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    jupyter, work = tmp_path / "jupyter", tmp_path / "work"
    _venv_kernelspec(jupyter)
    work.mkdir()
    monkeypatch.setenv("JUPYTER_PATH", str(jupyter))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = nbformat.read(NOTEBOOK, as_version=4)  # type: ignore[no-untyped-call]
    client = NotebookClient(nb, timeout=300, kernel_name=KERNEL, resources={"metadata": {"path": str(work)}})
    client.execute()
    assert _errors(nb) == []
    text = _text(nb)
    assert "Results written to" in text and "Unified Dataset" in text
    assert "Rows without an FX rate: 0" in text  # every account's spend reaches the analysis
    assert text.count("  Verdict: ") == 6 and "seasonal-naive baseline" in text  # every channel judged, twice
    assert "CAUSAL ATTRIBUTION RESULTS" in text and "Forest results (with a heterogeneity sheet)" in text
    for channel in ("meta", "google_ads", "klaviyo"):
        assert f"{channel}:" in text
    with pd.ExcelFile(work / "causal_analysis_results.xlsx") as workbook:
        assert "effects" in workbook.sheet_names
        effects = pd.read_excel(workbook, sheet_name="effects")
    assert sorted(effects["channel"]) == ["google_ads", "klaviyo", "meta"]
    with pd.ExcelFile(work / "causal_forest_results.xlsx") as workbook:  # the seed's causal_forest call
        seasons = pd.read_excel(workbook, sheet_name="heterogeneity").query("group == 'season'")
    assert len(seasons) == 12 and (seasons["iroas_ci_lower"] <= seasons["iroas_ci_upper"]).all()
    images = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(images) >= 3  # spend by channel, treatment effects, waterfall
