"""Stage registry: YAML names -> stage classes, discovered through Python entry points.

Every stage, built-in or from a user's package, is declared in its distribution's metadata under the
``dq_engine.stages`` entry-point group, ``<yaml name> = "<module>:<class>"``. dq-engine's own are in its
``pyproject.toml``; a plug-in declares its own the same way and is found once it is installed (or its
``*.dist-info`` is on ``sys.path``). The registry therefore imports no stage package by name, and a
pipeline imports only the stage modules it uses.

:func:`register` stays for stages defined in a notebook or test, where there is no distribution.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points
from typing import TypeVar

from dq_engine.config.models import StageSpec
from dq_engine.core.stage import Stage, StageError

ENTRY_POINT_GROUP = "dq_engine.stages"

_REGISTERED: dict[str, type[Stage]] = {}

S = TypeVar("S", bound=type[Stage])


def register(cls: S) -> S:
    """Class decorator adding a stage under ``cls.name`` for this process (notebooks, tests).

    Packaged stages use the ``dq_engine.stages`` entry-point group instead.
    """
    existing = _REGISTERED.get(cls.name)
    if existing is not None and existing is not cls:
        raise StageError(f"stage name {cls.name!r} registered twice ({existing.__name__}, {cls.__name__})")
    _REGISTERED[cls.name] = cls
    return cls


def _declared() -> dict[str, list[EntryPoint]]:
    """Entry points of the group by name (one per distinct target; an editable install may list twice)."""
    found: dict[str, list[EntryPoint]] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        same = found.setdefault(ep.name, [])
        if all(other.value != ep.value for other in same):
            same.append(ep)
    return found


def _origin(ep: EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return f"{dist.name} {dist.version}" if dist is not None else "unknown distribution"


def _load(ep: EntryPoint) -> type[Stage]:
    try:
        obj = ep.load()
    except Exception as exc:  # a broken plug-in must name itself, not surface as an import trace
        raise StageError(
            f"stage {ep.name!r} from {_origin(ep)} failed to import ({ep.value}): {type(exc).__name__}: {exc}"
        ) from exc
    if not (isinstance(obj, type) and issubclass(obj, Stage)):
        raise StageError(f"entry point {ep.name!r} ({ep.value}) from {_origin(ep)} is not a Stage subclass")
    if getattr(obj, "name", None) != ep.name:
        raise StageError(
            f"entry point {ep.name!r} ({ep.value}) from {_origin(ep)} loads a stage named "
            f"{getattr(obj, 'name', None)!r}; the two names must match"
        )
    return obj


def stage_names() -> list[str]:
    """Names of every stage available, without importing any stage module."""
    return sorted({*_declared(), *_REGISTERED})


def stage_class(name: str) -> type[Stage]:
    """The class behind one stage name; imports only that stage's module."""
    if name in _REGISTERED:
        return _REGISTERED[name]
    candidates = _declared().get(name)
    if not candidates:
        raise StageError(f"unknown stage {name!r}; available: {', '.join(stage_names())}")
    if len(candidates) > 1:
        # Picking one silently would make a pipeline's meaning depend on sys.path order.
        targets = ", ".join(f"{_origin(ep)} -> {ep.value}" for ep in candidates)
        raise StageError(
            f"stage name {name!r} is declared by several installed packages ({targets}); uninstall one"
        )
    return _load(candidates[0])


def registered_stages() -> dict[str, type[Stage]]:
    """All stages by name (imports every stage module: for listings, not for running a pipeline)."""
    return {name: stage_class(name) for name in stage_names()}


def create_stage(spec: StageSpec) -> Stage:
    """Instantiate the stage a pipeline entry names, validating its params."""
    return stage_class(spec.stage)(spec.params, label=spec.name)
