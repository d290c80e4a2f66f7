"""Typed Deequ suites: what a YAML file under ``conf/constraints/`` may assert.

A suite is a list of checks; a check is a list of constraints sharing one level (``error`` blocks the
publish, ``warning`` is only reported). Every constraint names one Deequ metric (what is measured: size,
completeness, uniqueness, min length...) and an :class:`Assertion` over it (what is asserted: ``>= 0.95``).
Nothing here touches Spark or pydeequ; :mod:`dq_engine.constraints.runner` turns these models into Deequ
``Check`` objects.

Example:
    >>> from pathlib import Path
    >>> suite = load_suite(Path("conf/constraints/silver_documents.yaml"))  # doctest: +SKIP
    >>> parse_assertion(">= 0.95")(0.97)
    True
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

ConstraintType = Literal[
    "has_size",
    "is_complete",
    "has_completeness",
    "is_unique",
    "has_uniqueness",
    "has_distinctness",
    "is_non_negative",
    "has_min",
    "has_max",
    "has_mean",
    "has_min_length",
    "has_max_length",
    "is_contained_in",
    "has_pattern",
    "satisfies",
]

ComparisonOp = Literal["==", "!=", ">=", "<=", ">", "<", "between"]


class SuiteConfigError(ValueError):
    """A suite file that cannot be read or does not validate; the message names the file and key path."""


# --------------------------------------------------------------------------------------------------
# Assertions: "<op> <number>" or "between <a> and <b>", parsed without eval.
# --------------------------------------------------------------------------------------------------

_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_COMPARISON_RE = re.compile(rf"^\s*(==|!=|>=|<=|>|<)\s*({_NUMBER})\s*$")
_BETWEEN_RE = re.compile(rf"^\s*between\s+({_NUMBER})\s+and\s+({_NUMBER})\s*$", re.IGNORECASE)

_ORDERINGS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}


@dataclass(frozen=True)
class Assertion:
    """A comparison of one Deequ metric value against constants; picklable and printable.

    ``==`` and ``!=`` compare with a relative tolerance of 1e-9 so that a computed mean or ratio is not
    failed by floating-point noise; ``between`` is inclusive on both ends.

    Attributes:
        op: one of ``== != >= <= > <`` or ``between``.
        value: the right-hand side (the lower bound for ``between``).
        upper: the upper bound for ``between``; ``None`` otherwise.

    Example:
        >>> a = parse_assertion("between 10 and 100")
        >>> a(10), a(101), str(a)
        (True, False, 'between 10 and 100')
    """

    op: ComparisonOp
    value: float
    upper: float | None = None

    def __call__(self, metric: float) -> bool:
        """Return whether ``metric`` satisfies the assertion (Deequ calls this through py4j)."""
        x = float(metric)
        if self.op == "between":
            assert self.upper is not None  # guaranteed by parse_assertion
            return self.value <= x <= self.upper
        if self.op == "==":
            return math.isclose(x, self.value, rel_tol=1e-9, abs_tol=1e-12)
        if self.op == "!=":
            return not math.isclose(x, self.value, rel_tol=1e-9, abs_tol=1e-12)
        return _ORDERINGS[self.op](x, self.value)

    def __str__(self) -> str:
        if self.op == "between":
            return f"between {_fmt(self.value)} and {_fmt(self.upper)}"
        return f"{self.op} {_fmt(self.value)}"


def _fmt(number: float | None) -> str:
    if number is not None and number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return repr(number)


def parse_assertion(text: str) -> Assertion:
    """Parse ``"<op> <number>"`` (op in ``== != >= <= > <``) or ``"between <a> and <b>"``.

    Nothing is evaluated: anything else (Python expressions, ``=``, ``nan``, missing numbers, a reversed
    ``between``) raises :class:`ValueError`.

    Args:
        text: the assertion as written in the suite file.

    Returns:
        A callable :class:`Assertion` whose ``str()`` is the canonical form of ``text``.

    Example:
        >>> parse_assertion(">= 0.95")(0.9)
        False
        >>> parse_assertion("== 1")
        Assertion(op='==', value=1.0, upper=None)
    """
    if not isinstance(text, str):
        raise ValueError(f"assertion must be a string like '>= 0.95', got {type(text).__name__}")
    match = _COMPARISON_RE.match(text)
    if match:
        op, number = match.groups()
        return Assertion(op=op, value=_finite(number, text))  # type: ignore[arg-type]
    match = _BETWEEN_RE.match(text)
    if match:
        low, high = _finite(match.group(1), text), _finite(match.group(2), text)
        if low > high:
            raise ValueError(f"assertion {text!r}: lower bound {low} is above upper bound {high}")
        return Assertion(op="between", value=low, upper=high)
    raise ValueError(
        f"assertion {text!r} is not '<op> <number>' (op one of ==, !=, >=, <=, >, <) or 'between <a> and <b>'"
    )


def _finite(number: str, text: str) -> float:
    value = float(number)
    if not math.isfinite(value):
        raise ValueError(f"assertion {text!r}: {number} is not a finite number")
    return value


# --------------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------------

_Field = Literal[
    "column", "columns", "column_or_columns", "assertion", "values", "pattern", "expression", "name"
]

# For each type: the fields it needs, and the ones it may take. ``hint`` is allowed everywhere.
_REQUIRED: dict[str, tuple[_Field, ...]] = {
    "has_size": ("assertion",),
    "is_complete": ("column",),
    "has_completeness": ("column", "assertion"),
    "is_unique": ("column_or_columns",),
    "has_uniqueness": ("column_or_columns", "assertion"),
    "has_distinctness": ("column_or_columns", "assertion"),
    "is_non_negative": ("column",),
    "has_min": ("column", "assertion"),
    "has_max": ("column", "assertion"),
    "has_mean": ("column", "assertion"),
    "has_min_length": ("column", "assertion"),
    "has_max_length": ("column", "assertion"),
    "is_contained_in": ("column", "values"),
    "has_pattern": ("column", "pattern"),
    "satisfies": ("expression", "name"),
}
_OPTIONAL: dict[str, tuple[_Field, ...]] = {
    "is_contained_in": ("assertion",),
    "has_pattern": ("assertion", "name"),
    "satisfies": ("assertion",),
}
_SPEC_FIELDS = ("column", "columns", "assertion", "values", "pattern", "expression", "name")


class ConstraintSpec(BaseModel):
    """One Deequ constraint: a metric (``type`` over ``column``/``columns``) and an assertion on it.

    Which fields each ``type`` takes (``hint`` is allowed on every type and is appended by Deequ to the
    failure message):

    ======================  ==============================================================
    type                    fields
    ======================  ==============================================================
    has_size                assertion (on the row count)
    is_complete             column
    has_completeness        column, assertion (on the non-null fraction)
    is_unique               column or columns (uniqueness == 1)
    has_uniqueness          column or columns, assertion
    has_distinctness        column or columns, assertion
    is_non_negative         column
    has_min / has_max       column, assertion
    has_mean                column, assertion
    has_min_length          column, assertion (string length)
    has_max_length          column, assertion (string length)
    is_contained_in         column, values; optional assertion on the fraction of rows whose value is
                            listed or null (default ``== 1``)
    has_pattern             column, pattern (Java regex); optional assertion (default ``== 1``), name
    satisfies               expression (Spark SQL predicate), name; optional assertion (default ``== 1``)
    ======================  ==============================================================
    """

    # Numbers in ``values`` (``[1, 2]`` in YAML) are compared as strings by Deequ anyway.
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)

    type: ConstraintType
    column: str | None = Field(default=None, min_length=1)
    columns: list[str] = Field(default_factory=list)
    assertion: str | None = None
    values: list[str] = Field(default_factory=list)
    pattern: str | None = Field(default=None, min_length=1)
    expression: str | None = Field(default=None, min_length=1)
    name: str | None = Field(default=None, min_length=1)
    hint: str | None = None

    @field_validator("assertion")
    @classmethod
    def _valid_assertion(cls, value: str | None) -> str | None:
        if value is None:
            return None
        return str(parse_assertion(value))

    @field_validator("columns")
    @classmethod
    def _non_blank_columns(cls, value: list[str]) -> list[str]:
        if any(not c for c in value):
            raise ValueError("column names must not be empty")
        return value

    @model_validator(mode="after")
    def _fields_match_type(self) -> ConstraintSpec:
        required = _REQUIRED[self.type]
        optional = _OPTIONAL.get(self.type, ())
        present = {f for f in _SPEC_FIELDS if getattr(self, f) not in (None, [])}
        either = "column_or_columns" in required
        if either and {"column", "columns"} <= present:
            raise ValueError(f"{self.type} takes column or columns, not both")
        satisfied = present | ({"column_or_columns"} if either and present & {"column", "columns"} else set())
        missing = tuple(f for f in required if f not in satisfied)
        if missing:
            raise ValueError(f"{self.type} needs {_describe(required)}; missing {_describe(missing)}")
        accepted = set(required) | set(optional) | ({"column", "columns"} if either else set())
        unexpected = sorted(present - accepted)
        if unexpected:
            takes = _describe(required) + (f" (optional: {', '.join(optional)})" if optional else "")
            raise ValueError(f"{self.type} does not take {', '.join(unexpected)}; it takes {takes}")
        return self

    @property
    def key_columns(self) -> list[str]:
        """``columns``, or ``[column]`` when a single column was given."""
        return list(self.columns) if self.columns else ([self.column] if self.column else [])

    def parsed_assertion(self, default: str | None = None) -> Assertion | None:
        """The :class:`Assertion` for this constraint, falling back to ``default`` when none was given."""
        text = self.assertion if self.assertion is not None else default
        return None if text is None else parse_assertion(text)


def _describe(fields: tuple[_Field, ...]) -> str:
    return ", ".join("column or columns" if f == "column_or_columns" else f for f in fields)


class CheckSpec(BaseModel):
    """A named group of constraints evaluated at one level.

    Attributes:
        name: the Deequ check description; the ``check`` column of the results. Unique within a suite.
        level: ``error`` (a failure blocks the publish) or ``warning`` (reported only).
        description: free text for people reading the suite.
        constraints: at least one constraint.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    level: Literal["error", "warning"]
    description: str = ""
    constraints: list[ConstraintSpec] = Field(min_length=1)


class SuiteSpec(BaseModel):
    """A Deequ verification suite: every check runs in one ``VerificationSuite`` over one DataFrame.

    Attributes:
        name: the suite name; the ``suite`` column of the results.
        description: free text.
        checks: at least one check; check names are unique.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    description: str = ""
    checks: list[CheckSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_check_names(self) -> SuiteSpec:
        seen: set[str] = set()
        for check in self.checks:
            if check.name in seen:
                raise ValueError(f"check name {check.name!r} is used twice; check names must be unique")
            seen.add(check.name)
        return self


def load_suite(path: Path | str) -> SuiteSpec:
    """Read and validate a suite YAML file.

    Args:
        path: a YAML file with ``name``, optional ``description`` and ``checks``.

    Returns:
        The validated :class:`SuiteSpec`.

    Raises:
        SuiteConfigError: the file is missing, is not YAML, or does not validate; the message names the
            file and every bad key path, e.g.
            ``conf/constraints/x.yaml: checks.0.constraints.1.colum: extra inputs are not permitted``.

    Example:
        >>> suite = load_suite("conf/constraints/silver_documents.yaml")  # doctest: +SKIP
        >>> [c.level for c in suite.checks]  # doctest: +SKIP
        ['error', 'warning']
    """
    path = Path(path)
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SuiteConfigError(f"{path}: cannot read suite file: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise SuiteConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise SuiteConfigError(f"{path}: expected a mapping with name and checks, got {type(raw).__name__}")
    try:
        return SuiteSpec.model_validate(raw)
    except ValidationError as exc:
        raise SuiteConfigError(_format_errors(path, exc)) from exc


def _format_errors(path: Path, exc: ValidationError) -> str:
    lines = []
    for error in exc.errors(include_url=False, include_input=False):
        loc = ".".join(str(part) for part in error["loc"]) or "<root>"
        message = str(error["msg"]).removeprefix("Value error, ")
        lines.append(f"{path}: {loc}: {message[:1].lower()}{message[1:]}")
    return "\n".join(lines)
