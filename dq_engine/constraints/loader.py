"""Find and read a suite file, written either as dq-engine YAML or as a Glue DQDL ruleset."""

from __future__ import annotations

from pathlib import Path

from dq_engine.constraints.dqdl import load_dqdl
from dq_engine.constraints.suite import SuiteSpec, load_suite

DQDL_SUFFIX = ".dqdl"


def resolve_suite_file(path: Path | str) -> Path:
    """``path`` itself, or the ``.dqdl`` file beside it when the YAML one does not exist.

    ``audit.suite: my_rules`` thus finds ``conf/constraints/my_rules.yaml`` or, failing that,
    ``conf/constraints/my_rules.dqdl``.
    """
    path = Path(path)
    if not path.exists() and path.suffix in (".yaml", ".yml"):
        sibling = path.with_suffix(DQDL_SUFFIX)
        if sibling.exists():
            return sibling
    return path


def load_suite_file(path: Path | str) -> SuiteSpec:
    """Load a YAML suite or a ``.dqdl`` ruleset (one error-level check named ``<file>_dqdl``).

    Raises:
        SuiteConfigError: unreadable, invalid YAML/DQDL (with line and column), or an unsupported rule.
    """
    resolved = resolve_suite_file(path)
    if resolved.suffix == DQDL_SUFFIX:
        return load_dqdl(resolved)
    return load_suite(resolved)
