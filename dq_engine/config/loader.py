"""YAML loading: ``base.yaml`` + ``env/<env>.yaml`` + ``--set key=value`` overrides, then validation.

Each leaf value remembers which file (or override) set it, so a validation error names the file the
user has to fix, not just the key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from dq_engine.config.models import AppConfig, PipelineSettings


class ConfigError(ValueError):
    """A configuration file or override is invalid; the message names the file and the key."""


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: file not found") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level must be a mapping, got {type(data).__name__}")
    return data


def _merge(
    base: dict[str, Any], overlay: Mapping[str, Any], origin: str, origins: dict[str, str], prefix: str = ""
) -> dict[str, Any]:
    for key, value in overlay.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _merge(base[key], value, origin, origins, dotted + ".")
        else:
            base[key] = value
            origins[dotted] = origin
            if isinstance(value, Mapping):
                _record(value, origin, origins, dotted + ".")
    return base


def _record(value: Mapping[str, Any], origin: str, origins: dict[str, str], prefix: str) -> None:
    for key, sub in value.items():
        origins[f"{prefix}{key}"] = origin
        if isinstance(sub, Mapping):
            _record(sub, origin, origins, f"{prefix}{key}.")


def parse_override(text: str) -> tuple[list[str], Any]:
    """``a.b.c=value`` -> (["a","b","c"], parsed YAML scalar/list/map)."""
    if "=" not in text:
        raise ConfigError(f"--set {text!r}: expected KEY=VALUE")
    key, raw = text.split("=", 1)
    parts = [p for p in key.strip().split(".") if p]
    if not parts:
        raise ConfigError(f"--set {text!r}: empty key")
    # Spark conf keys contain dots themselves: everything after "spark.conf." is one key.
    if parts[:2] == ["spark", "conf"] and len(parts) > 3:
        parts = ["spark", "conf", ".".join(parts[2:])]
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return parts, value


def _nest(parts: list[str], value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {parts[-1]: value}
    for part in reversed(parts[:-1]):
        out = {part: out}
    return out


def _blame(loc: Iterable[Any], origins: Mapping[str, str], default: str) -> str:
    parts = [str(p) for p in loc]
    for end in range(len(parts), 0, -1):
        origin = origins.get(".".join(parts[:end]))
        if origin:
            return origin
    return default


def _validate(model: type[BaseModel], data: dict[str, Any], origins: Mapping[str, str], default: str) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "<root>"
            lines.append(f"{_blame(err['loc'], origins, default)}: {loc}: {err['msg']}")
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(lines)) from None


def load_config(
    conf_dir: str | Path = "conf", env: str | None = None, overrides: Iterable[str] = ()
) -> AppConfig:
    """Load and validate the application config.

    Args:
        conf_dir: folder holding ``base.yaml`` and ``env/``.
        env: environment overlay name (``env/<env>.yaml``); default from ``base.yaml``'s ``env``.
        overrides: ``key.path=value`` strings applied last (``--set`` on the CLI).

    Raises:
        ConfigError: naming the file (or ``--set``) and the key that is wrong.
    """
    conf_path = Path(conf_dir)
    origins: dict[str, str] = {}
    base_file = conf_path / "base.yaml"
    data = _merge({}, _read_yaml(base_file), str(base_file), origins)
    override_items = [parse_override(o) for o in overrides]
    env_name = env
    for parts, value in override_items:
        if parts == ["env"]:
            env_name = str(value)
    env_name = env_name or str(data.get("env", "local"))
    env_file = conf_path / "env" / f"{env_name}.yaml"
    if env_file.exists():
        _merge(data, _read_yaml(env_file), str(env_file), origins)
    elif env is not None:
        raise ConfigError(f"{env_file}: environment {env_name!r} has no overlay file")
    for (parts, value), raw in zip(override_items, overrides, strict=True):
        _merge(data, _nest(parts, value), f"--set {raw}", origins)
    data["env"] = env_name
    data["conf_dir"] = str(conf_path)
    config: AppConfig = _validate(AppConfig, data, origins, str(base_file))
    return config


def load_pipeline(config: AppConfig, name: str | None = None) -> PipelineSettings:
    """Load ``conf/pipelines/<name>.yaml`` (default: the config's ``pipeline``)."""
    pipeline_name = name or config.pipeline
    path = Path(pipeline_name)
    if path.suffix not in (".yaml", ".yml"):
        path = Path(config.conf_dir) / "pipelines" / f"{pipeline_name}.yaml"
    data = _read_yaml(path)
    data.setdefault("name", path.stem)
    origins: dict[str, str] = {}
    _record(data, str(path), origins, "")
    pipeline: PipelineSettings = _validate(PipelineSettings, data, origins, str(path))
    return pipeline


def suite_path(config: AppConfig, name: str | None = None) -> Path:
    """The YAML file of a Deequ suite: a path, or a name under ``conf/constraints/``."""
    suite = name or config.audit.suite
    path = Path(suite)
    if path.suffix in (".yaml", ".yml"):
        return path
    return Path(config.conf_dir) / "constraints" / f"{suite}.yaml"
