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
from typing import Any, Literal, get_args

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
    "has_sum",
    "has_standard_deviation",
    "has_approx_quantile",
    "has_approx_count_distinct",
    "has_entropy",
    "has_correlation",
    "has_column_count",
    "custom_sql",
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
    "column",
    "columns",
    "column_or_columns",
    "assertion",
    "values",
    "pattern",
    "expression",
    "name",
    "quantile",
    "sql",
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
    "has_sum": ("column", "assertion"),
    "has_standard_deviation": ("column", "assertion"),
    "has_approx_quantile": ("column", "quantile", "assertion"),
    "has_approx_count_distinct": ("column", "assertion"),
    "has_entropy": ("column", "assertion"),
    "has_correlation": ("columns", "assertion"),
    "has_column_count": ("assertion",),
    "custom_sql": ("sql", "assertion"),
}
_OPTIONAL: dict[str, tuple[_Field, ...]] = {
    "is_contained_in": ("assertion",),
    "has_pattern": ("assertion", "name"),
    "satisfies": ("assertion",),
}
_SPEC_FIELDS = (
    "column",
    "columns",
    "assertion",
    "values",
    "pattern",
    "expression",
    "name",
    "quantile",
    "sql",
)
# Deequ evaluates these through analyzers that take a row filter (``where``); the others do not.
_FILTERABLE = frozenset(get_args(ConstraintType)) - {"has_column_count", "custom_sql"}


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
    has_sum                 column, assertion
    has_standard_deviation  column, assertion
    has_approx_quantile     column, quantile (0..1), assertion (on the approximate quantile)
    has_approx_count_distinct  column, assertion (HyperLogLog++ estimate)
    has_entropy             column, assertion (Shannon entropy of the value distribution, nats)
    has_correlation         columns (exactly two), assertion (Pearson correlation)
    has_column_count        assertion (number of columns of the audited frame; no data pass)
    custom_sql              sql (a query over the view ``primary`` returning one number), assertion;
                            Deequ runs it as its own query
    ======================  ==============================================================

    Every type except ``has_column_count`` and ``custom_sql`` also takes ``where`` (a Spark SQL predicate:
    the metric is computed on the matching rows only). ``requires`` lists extra columns the constraint
    needs besides ``column``/``columns`` (e.g. those used in ``expression``): when any is missing from
    the audited frame, the constraint is *skipped* and reported with a note, neither passed nor failed.
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
    quantile: float | None = Field(default=None, ge=0.0, le=1.0)
    sql: str | None = Field(default=None, min_length=1)
    where: str | None = Field(default=None, min_length=1)
    requires: list[str] = Field(default_factory=list)
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
        if self.type == "has_correlation" and len(self.columns) != 2:
            raise ValueError("has_correlation needs exactly two columns")
        if self.where is not None and self.type not in _FILTERABLE:
            raise ValueError(f"{self.type} does not take where")
        return self

    @property
    def needed_columns(self) -> list[str]:
        """Every column the constraint reads that the audited frame must have (skip otherwise)."""
        return [*self.key_columns, *(c for c in self.requires if c not in self.key_columns)]

    def describe(self) -> str:
        """A short, text-free label: ``has_approx_quantile(text_chars, q=0.5) >= 200``."""
        target = ", ".join(self.key_columns) or self.name or ""
        if self.quantile is not None:
            target += f", q={self.quantile:g}"
        if self.type == "satisfies":
            target = f"{self.name}: {self.expression}"
        label = f"{self.type}({target})"
        if self.where:
            label += f" where {self.where}"
        shown = self.assertion or ("" if self.type == "has_size" else "== 1")
        return f"{label} {shown}".rstrip()

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
    where: str | None = Field(default=None, min_length=1)
    constraints: list[ConstraintSpec] = Field(min_length=1)

    def effective(self, constraint: ConstraintSpec) -> ConstraintSpec:
        """``constraint`` with the check's ``where`` applied when it has none of its own and takes one."""
        if self.where is None or constraint.where is not None or constraint.type not in _FILTERABLE:
            return constraint
        return constraint.model_copy(update={"where": self.where})


AnalyzerName = Literal[
    "size",
    "completeness",
    "compliance",
    "mean",
    "sum",
    "minimum",
    "maximum",
    "standard_deviation",
    "approx_quantile",
    "approx_count_distinct",
    "distinctness",
    "uniqueness",
    "entropy",
    "histogram",
]
# Which analyzers need a column, a predicate or a quantile.
_ANALYZER_NEEDS: dict[str, tuple[str, ...]] = {
    "size": (),
    "compliance": ("name", "predicate"),
    "approx_quantile": ("column", "quantile"),
}


class MetricSpec(BaseModel):
    """One Deequ analyzer, computed in the suite's single pass without an assertion.

    Used under a suite's ``metrics`` (extra metrics stored in the history, e.g. a ``histogram`` of
    ``source`` gives the share of documents per source) and as the ``metric`` of an anomaly check.

    Attributes:
        analyzer: the Deequ analyzer (``size``, ``compliance``, ``histogram``, ``approx_quantile`` ...).
        column: the column it reads (all analyzers but ``size`` and ``compliance``).
        predicate: the Spark SQL predicate of a ``compliance`` analyzer (the metric is the matching share).
        name: the ``compliance`` metric's instance name, e.g. ``exact_duplicate_rate``.
        quantile: for ``approx_quantile``.
        where: optional row filter.
        requires: extra columns needed (e.g. those in ``predicate``); missing -> skipped with a note.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    analyzer: AnalyzerName
    column: str | None = Field(default=None, min_length=1)
    predicate: str | None = Field(default=None, min_length=1)
    name: str | None = Field(default=None, min_length=1)
    quantile: float | None = Field(default=None, ge=0.0, le=1.0)
    where: str | None = Field(default=None, min_length=1)
    requires: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _fields_match_analyzer(self) -> MetricSpec:
        needs = _ANALYZER_NEEDS.get(self.analyzer, ("column",))
        missing = [f for f in needs if getattr(self, f) is None]
        if missing:
            raise ValueError(f"analyzer {self.analyzer} needs {', '.join(missing)}")
        if self.analyzer == "size" and self.column is not None:
            raise ValueError("analyzer size does not take column")
        return self

    @property
    def needed_columns(self) -> list[str]:
        return [*([self.column] if self.column else []), *self.requires]

    def describe(self) -> str:
        target = self.name or self.column or "*"
        if self.quantile is not None:
            target += f", q={self.quantile:g}"
        return f"{self.analyzer}({target})" + (f" where {self.where}" if self.where else "")


AnomalyStrategyName = Literal["relative_rate_of_change", "absolute_change", "online_normal", "batch_normal"]


class AnomalySpec(BaseModel):
    """An anomaly check: is this run's value of ``metric`` anomalous against the metric history?

    Strategies (Deequ's): ``relative_rate_of_change`` (``max_rate_decrease``/``max_rate_increase`` are
    ratios new/previous, e.g. 0.5 and 2.0), ``absolute_change`` (the same bounds as absolute differences),
    ``online_normal`` and ``batch_normal`` (flag values more than ``lower_deviation_factor`` /
    ``upper_deviation_factor`` standard deviations from the history's mean). With no history yet, the
    check passes: the first runs build the baseline.

    Attributes:
        name: the check name in results.
        level: ``error`` blocks the publish, ``warning`` reports only.
        metric: what is watched.
        strategy: one of the four strategies above.
        hint: shown next to a failure.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    level: Literal["error", "warning"] = "warning"
    metric: MetricSpec
    strategy: AnomalyStrategyName
    max_rate_decrease: float | None = None
    max_rate_increase: float | None = None
    order: int = Field(default=1, ge=1)
    lower_deviation_factor: float | None = Field(default=3.0, gt=0)
    upper_deviation_factor: float | None = Field(default=3.0, gt=0)
    ignore_start_percentage: float = Field(default=0.1, ge=0, le=1)
    hint: str | None = None

    @model_validator(mode="after")
    def _bounds(self) -> AnomalySpec:
        rates = (self.max_rate_decrease, self.max_rate_increase)
        if self.strategy in ("relative_rate_of_change", "absolute_change") and rates == (None, None):
            raise ValueError(f"{self.strategy} needs max_rate_decrease and/or max_rate_increase")
        return self


class SuiteSpec(BaseModel):
    """A Deequ verification suite: every check runs in one ``VerificationSuite`` over one DataFrame.

    Attributes:
        name: the suite name; the ``suite`` column of the results.
        description: free text.
        dataset: what the audit runs the suite on: ``table`` (the audited table's rows plus the text
            metric columns of :mod:`dq_engine.constraints.corpus`) or ``corpus`` (those rows *and* one row
            per rejected document of the same batch, with ``kept = false``, so rejection and duplicate
            rates are plain shares).
        id_column: the id reported for rows that break a ``satisfies`` / ``has_pattern`` constraint.
        failing_ids_limit: at most this many ids per failed constraint.
        checks: constraint groups; check and anomaly-check names are unique.
        metrics: extra analyzers computed in the same pass (stored in the history, not asserted).
        anomaly_checks: checks of this run's metrics against the metric history.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    description: str = ""
    dataset: Literal["table", "corpus"] = "table"
    id_column: str = Field(default="doc_id", min_length=1)
    failing_ids_limit: int = Field(default=20, ge=0, le=1000)
    checks: list[CheckSpec] = Field(default_factory=list)
    metrics: list[MetricSpec] = Field(default_factory=list)
    anomaly_checks: list[AnomalySpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_check_names(self) -> SuiteSpec:
        if not self.checks and not self.anomaly_checks:
            raise ValueError("a suite needs at least one check or anomaly check")
        seen: set[str] = set()
        for name in [c.name for c in self.checks] + [a.name for a in self.anomaly_checks]:
            if name in seen:
                raise ValueError(f"check name {name!r} is used twice; check names must be unique")
            seen.add(name)
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
