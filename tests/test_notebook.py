"""Executes every notebook under ``notebooks/`` top to bottom, as CI would on a fresh machine.

``quickstart.ipynb`` runs first; ``tune_thresholds.ipynb`` then reads the tables it left behind (the
same ``DQ_QUICKSTART_ROOT``), in the same kernel, as a user would after the quickstart. Each notebook
is executed top to bottom; the second one also works alone (it curates the sample when it finds no
tables).

The kernel runs this test's interpreter (the project venv): a throwaway kernelspec whose argv starts
with ``sys.executable`` is written under ``tmp_path`` and handed to nbclient through its own
``KernelSpecManager``. Nothing depends on which ``python3`` kernel happens to be registered on the
machine, or on ``python`` on PATH. The kernel starts its own JVM; that is expected.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

REPO_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO_ROOT / "notebooks"
RUN_ORDER = ["quickstart.ipynb", "tune_thresholds.ipynb"]
KERNEL_NAME = "dq-engine-test-venv"
CELL_TIMEOUT_S = 600
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


def _kernel_manager(kernels_dir: Path) -> KernelManager:
    """A KernelManager bound to a kernelspec that launches ``sys.executable -m ipykernel_launcher``."""
    spec_dir = kernels_dir / KERNEL_NAME
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "dq-engine test venv",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    ksm = KernelSpecManager(kernel_dirs=[str(kernels_dir)], ensure_native_kernel=False)
    return KernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=ksm)


def test_every_notebook_is_run_and_committed_without_outputs() -> None:
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(RUN_ORDER)
    for name in RUN_ORDER:
        nb = nbformat.read(NOTEBOOKS / name, as_version=4)
        nbformat.validate(nb)
        assert nb.metadata["kernelspec"]["name"] == "python3"
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, f"clear outputs of {name}"


def _execute(name: str, km: KernelManager) -> str:
    """Run one notebook top to bottom in ``km``'s kernel; return everything it displayed as text."""
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = NotebookClient(
        nb,
        km=km,
        timeout=CELL_TIMEOUT_S,
        startup_timeout=120,
        allow_errors=False,  # any cell error raises CellExecutionError
        resources={"metadata": {"path": str(REPO_ROOT)}},  # kernel cwd = repo root
    )
    client.execute()  # starts the kernel if it is not running yet; leaves it running
    outputs = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs]
    assert not [out for out in outputs if out.output_type == "error"]
    texts = []
    for out in outputs:
        if out.output_type == "stream":
            texts.append(out.text)
        elif "data" in out:
            texts.append(str(out.data.get("text/plain", "")))
    shown = "\n".join(texts)
    assert not EMAIL.findall(shown), f"{name} displayed something that looks like an e-mail address"
    return shown


@pytest.mark.slow
def test_notebooks_run_top_to_bottom(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "quickstart"
    root.mkdir()
    # The kernel inherits this environment.
    monkeypatch.setenv("DQ_QUICKSTART_ROOT", str(root))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)  # would override the notebook's sqlite store
    # Connection files and IPython's profile go to scratch folders: a CI home may be read-only.
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "jupyter-runtime"))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))

    # One kernel for both, as a user runs them one after the other on one cluster: the second
    # notebook's session_for() adopts the running SparkSession, so the suite pays one JVM start-up.
    km = _kernel_manager(tmp_path / "kernels")
    try:
        shown = _execute("quickstart.ipynb", km)
        tuned = _execute("tune_thresholds.ipynb", km)
    finally:
        # nbclient shuts down only kernels it created itself; this one holds a JVM (and 3 GB) otherwise.
        if km.has_kernel:
            km.shutdown_kernel(now=True)
    assert "Invariants hold." in shown
    assert "the what-if reproduces the pipeline's decisions" in tuned
    assert "would newly drop" in tuned
    # It wrote under DQ_QUICKSTART_ROOT, not into the repository.
    assert (root / "lakehouse" / "gold" / "documents" / "_delta_log").is_dir()
    assert (root / "mlruns.db").is_file()
