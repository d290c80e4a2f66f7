"""Stage registry: YAML names -> stage classes."""

from __future__ import annotations

from typing import TypeVar

from dq_engine.config.models import StageSpec
from dq_engine.core.stage import Stage, StageError

_REGISTRY: dict[str, type[Stage]] = {}

S = TypeVar("S", bound=type[Stage])


def register(cls: S) -> S:
    """Class decorator adding a stage to the registry under ``cls.name``."""
    existing = _REGISTRY.get(cls.name)
    if existing is not None and existing is not cls:
        raise StageError(f"stage name {cls.name!r} registered twice ({existing.__name__}, {cls.__name__})")
    _REGISTRY[cls.name] = cls
    return cls


def _load_builtin_stages() -> None:
    # Importing the stage packages runs their @register decorators.
    import dq_engine.dedup  # noqa: F401
    import dq_engine.language  # noqa: F401
    import dq_engine.normalize  # noqa: F401
    import dq_engine.pii  # noqa: F401
    import dq_engine.quality  # noqa: F401
    import dq_engine.toxicity  # noqa: F401


def registered_stages() -> dict[str, type[Stage]]:
    """All registered stages by name."""
    _load_builtin_stages()
    return dict(sorted(_REGISTRY.items()))


def create_stage(spec: StageSpec) -> Stage:
    """Instantiate the stage a pipeline entry names, validating its params."""
    stages = registered_stages()
    cls = stages.get(spec.stage)
    if cls is None:
        raise StageError(f"unknown stage {spec.stage!r}; registered: {', '.join(stages)}")
    return cls(spec.params, label=spec.name)
