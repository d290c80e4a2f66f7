"""Deterministic sample landing corpus (with ground truth) for demos, tests and docs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dq_engine.sample.corpus import write_sample_corpus

__all__ = ["write_sample_corpus"]


def __getattr__(name: str) -> Any:
    # Lazy export (PEP 562): importing the package must not import corpus.py, or
    # `python -m dq_engine.sample.corpus` warns that the module was imported before it ran.
    if name == "write_sample_corpus":
        from dq_engine.sample.corpus import write_sample_corpus

        return write_sample_corpus
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
