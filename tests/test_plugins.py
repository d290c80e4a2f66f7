"""Stage plug-ins: a separately packaged stage is found through the ``dq_engine.stages`` entry points.

The example plug-in under ``examples/plugin`` is built and installed with pip into a scratch
``--target`` folder (a real wheel with a real ``*.dist-info``), that folder is put on ``sys.path``, and
the stage runs through ``dq-engine apply-stage`` like a built-in one.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import REPO_ROOT
from pyspark.sql import SparkSession
from typer.testing import CliRunner

from dq_engine.cli import app
from dq_engine.core.registry import stage_class, stage_names
from dq_engine.core.stage import StageError

PLUGIN_SRC = REPO_ROOT / "examples" / "plugin"
BUILTIN = {
    "normalize_text",
    "length_filter",
    "exact_dedup",
    "near_dedup",
    "pii_mask",
    "language",
    "toxicity",
    "quality_heuristics",
}


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("plugin_site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(PLUGIN_SRC)],
        check=True,
        capture_output=True,
    )
    assert (site / "dq_engine_phrase_blocklist-0.1.0.dist-info" / "entry_points.txt").exists()
    return site


def test_builtin_stages_are_entry_points_and_import_lazily() -> None:
    assert set(stage_names()) >= BUILTIN
    code = (
        "import sys; from dq_engine.core.registry import stage_class, stage_names; stage_names();"
        "stage_class('length_filter');"
        "print(sorted(m for m in sys.modules if m.split('.')[:2] in (['dq_engine','dedup'],"
        "['dq_engine','pii'], ['dq_engine','toxicity'], ['dq_engine','language'])))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    # Listing names and loading one stage imports none of the other stage packages.
    assert out.strip() == "[]"


def test_plugin_stage_runs_through_apply_stage(
    spark: SparkSession, plugin_site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "phrase_blocklist" not in stage_names()
    monkeypatch.syspath_prepend(str(plugin_site))
    assert "phrase_blocklist" in stage_names()
    assert stage_class("phrase_blocklist").__module__ == "dq_engine_phrase_blocklist"

    docs = pd.DataFrame(
        {
            "id": ["a", "b", "c", "d", "e"],
            "text": [
                "Totally normal paragraph about rivers and lakes.",
                "BUY NOW while the offer lasts, limited stock!",
                "Click here to win, and also buy now for a prize.",
                "Buyer nowhere near the store: no whole-word hit.",
                "Nothing to see here.",
            ],
        }
    )
    src = tmp_path / "docs.jsonl"
    docs.to_json(src, orient="records", lines=True)
    out = tmp_path / "scored"
    result = CliRunner().invoke(
        app,
        [
            "apply-stage", "phrase_blocklist", "--input", str(src), "--output", str(out),
            "--set", "phrases=[buy now, click here]", "--set", "max_hits=0",
            "--conf-dir", str(REPO_ROOT / "conf"),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output[result.output.index("{") :])
    assert summary["rejected_by_reason"] == {"blocked_phrase": 2} and summary["kept"] == 3
    scored = pd.read_parquet(out).set_index("id").sort_index()
    assert scored["phrase_blocklist_score"].tolist() == [0.0, 1.0, 2.0, 0.0, 0.0]
    assert scored.loc[~scored["kept"]].index.tolist() == ["b", "c"]
    assert set(scored["decision_reason"].dropna()) == {"blocked_phrase"}


def test_broken_plugins_name_themselves(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def dist(name: str, entry: str) -> None:
        info = tmp_path / f"{name}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
        (info / "entry_points.txt").write_text(f"[dq_engine.stages]\n{entry}\n")

    dist("wrong-name", "renamed = dq_engine.quality.length:LengthFilter")
    dist("not-a-stage", "not_a_stage = json:dumps")
    dist("missing-module", "ghost = no_such_module_xyz:Stage")
    dist("clash", "length_filter = dq_engine.dedup.exact:ExactDedup")
    monkeypatch.syspath_prepend(str(tmp_path))

    with pytest.raises(StageError, match="loads a stage named 'length_filter'; the two names must match"):
        stage_class("renamed")
    with pytest.raises(StageError, match="not a Stage subclass"):
        stage_class("not_a_stage")
    with pytest.raises(StageError, match="'ghost' from missing-module 1.0 failed to import"):
        stage_class("ghost")
    assert {"renamed", "not_a_stage", "ghost"} <= set(stage_names())  # listing imports nothing
    with pytest.raises(StageError, match="'length_filter' is declared by several installed packages"):
        stage_class("length_filter")
    assert stage_class("exact_dedup").__name__ == "ExactDedup"  # a broken plug-in spoils only its own name
