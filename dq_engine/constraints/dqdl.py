"""AWS Glue Data Quality rulesets (DQDL) as dq-engine suites.

Glue's own DQDL parser is not published on Maven Central, so this module parses the documented DQDL
grammar with lark (an LALR(1) parser: a syntax error is reported with its line and column) and
translates each rule to a :class:`~dq_engine.constraints.suite.ConstraintSpec`. One ruleset then serves
Glue and every platform dq-engine runs on.

Supported rule types and their Deequ form:

==========================  =========================================================================
DQDL                        suite constraint
==========================  =========================================================================
RowCount <expr>             has_size
ColumnCount <expr>          has_column_count
IsComplete "c"              is_complete
Completeness "c" <expr>     has_completeness
IsUnique "c"                is_unique
IsPrimaryKey "c" ["d"...]   is_complete on each column + is_unique over them (Glue's definition)
Uniqueness "c" <expr>       has_uniqueness
Distinctness "c" <expr>     has_distinctness
Mean / Sum / StandardDeviation / Entropy "c" <expr>   has_mean / has_sum / has_standard_deviation /
                            has_entropy
ColumnCorrelation "a" "b" <expr>  has_correlation
ColumnLength "c" <expr>     satisfies ``length(coalesce(c, ''))`` <expr> (Glue: NULL has length 0)
ColumnValues "c" <expr>     satisfies ``c`` <expr>; ``in [...]``, ``matches "re"``, ``NULL``, ``EMPTY``,
                            ``WHITESPACES_ONLY`` and ``not`` forms included
CustomSql "query" <expr>    custom_sql (the query names the audited data ``primary``)
==========================  =========================================================================

``where "<SQL>"`` filters a rule's rows; ``with threshold <op> <n>`` turns a row-level rule (ColumnValues,
ColumnLength) into "at least this share of rows". Every other rule type (DataFreshness,
ReferentialIntegrity, DatasetMatch, DetectAnomalies ...), composite rules (``(A) and (B)``), labels and
dynamic rules are refused with :class:`UnsupportedRuleError`, naming the rule and its line: a ruleset
is translated completely or not at all, so nothing is silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from dq_engine.constraints.suite import CheckSpec, ConstraintSpec, SuiteConfigError, SuiteSpec

# The documented DQDL syntax: ``Rules = [ rule, rule, ... ]``; a rule is a type name, quoted parameters,
# an optional expression, an optional ``where`` filter and an optional row ``threshold``.
GRAMMAR = r"""
start: _RULES "=" "[" [rule ("," rule)*] ","? "]"

?rule: simple
     | composite

composite: "(" rule ")" (LOGIC "(" rule ")")+
simple: RULE_TYPE STRING* expr? where? threshold?

?expr: COMPARATOR value                            -> compare
     | NOT? "between" value "and" value            -> between
     | NOT? "in" "[" value ("," value)* "]"        -> in_list
     | NOT? "matches" STRING                       -> matches

where: "where" STRING
threshold: "with" "threshold" COMPARATOR NUMBER

?value: SIGNED_NUMBER                              -> number
      | STRING                                     -> string
      | KEYWORD                                    -> keyword
      | SIGNED_NUMBER UNIT                         -> duration
      | "now" "(" ")"                              -> date
      | "(" "now" "(" ")" SIGN SIGNED_NUMBER UNIT ")"   -> date

_RULES.2: "Rules"
UNIT.2: /(minute|hour|day)s?/
SIGN: "+" | "-"
KEYWORD.2: "NULL" | "EMPTY" | "WHITESPACES_ONLY"
LOGIC.2: "and" | "or"
NOT.2: "not"
RULE_TYPE: /[A-Z][A-Za-z]*/
COMPARATOR: ">=" | "<=" | "!=" | "=" | ">" | "<"
STRING: /"(?:[^"\\]|\\.)*"/
NUMBER: SIGNED_NUMBER

%import common.SIGNED_NUMBER
%import common.WS
COMMENT: /#[^\n]*/
%ignore WS
%ignore COMMENT
"""

_PARSER = Lark(GRAMMAR, parser="lalr", propagate_positions=True, maybe_placeholders=False)

METRIC_RULES = {
    "Completeness": "has_completeness",
    "Uniqueness": "has_uniqueness",
    "Distinctness": "has_distinctness",
    "Mean": "has_mean",
    "Sum": "has_sum",
    "StandardDeviation": "has_standard_deviation",
    "Entropy": "has_entropy",
}
SUPPORTED_RULES = (
    "RowCount",
    "ColumnCount",
    "IsComplete",
    "IsUnique",
    "IsPrimaryKey",
    *METRIC_RULES,
    "ColumnCorrelation",
    "ColumnLength",
    "ColumnValues",
    "CustomSql",
)


class DqdlSyntaxError(SuiteConfigError):
    """The ruleset is not valid DQDL; the message names the file, line and column."""

    def __init__(self, message: str, line: int, column: int):
        super().__init__(message)
        self.line, self.column = line, column


class UnsupportedRuleError(SuiteConfigError):
    """A valid DQDL rule with no Deequ translation; the message names the rule and its line."""


@dataclass(frozen=True)
class _Expr:
    kind: str  # compare | between | in | matches
    negated: bool
    op: str | None
    values: tuple[Any, ...]


@dataclass(frozen=True)
class _Unsupported:
    what: str


def _unquote(token: Token | str) -> str:
    text = str(token)[1:-1]
    return text.replace('\\"', '"').replace("\\\\", "\\")


class _Values(Transformer[Token, Any]):
    """Turns value/expression subtrees into plain Python objects; rules stay trees (they need positions)."""

    def number(self, items: list[Token]) -> float:
        return float(items[0])

    def string(self, items: list[Token]) -> str:
        return _unquote(items[0])

    def keyword(self, items: list[Token]) -> Token:
        return items[0]

    def duration(self, items: list[Token]) -> _Unsupported:
        return _Unsupported("durations")

    def date(self, items: list[Token]) -> _Unsupported:
        return _Unsupported("dates")

    def compare(self, items: list[Any]) -> _Expr:
        return _Expr("compare", False, str(items[0]), (items[1],))

    def between(self, items: list[Any]) -> _Expr:
        negated = isinstance(items[0], Token) and items[0].type == "NOT"
        rest = items[1:] if negated else items
        return _Expr("between", negated, None, tuple(rest))

    def in_list(self, items: list[Any]) -> _Expr:
        negated = isinstance(items[0], Token) and items[0].type == "NOT"
        rest = items[1:] if negated else items
        return _Expr("in", negated, None, tuple(rest))

    def matches(self, items: list[Any]) -> _Expr:
        negated = isinstance(items[0], Token) and items[0].type == "NOT"
        pattern = items[-1]
        return _Expr("matches", negated, None, (_unquote(pattern),))


def _sql_literal(value: Any) -> str:
    if isinstance(value, float):
        return repr(int(value)) if value.is_integer() else repr(value)
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def _ident(column: str) -> str:
    return "`" + column.replace("`", "``") + "`"


class _Translator:
    def __init__(self, text: str, source: str):
        self.text = text
        self.source = source

    def refuse(self, node: Tree[Any], why: str) -> UnsupportedRuleError:
        line = node.meta.line if not node.meta.empty else 0
        return UnsupportedRuleError(f"{self.source}:{line}: {why}: {self.rule_text(node)}")

    def rule_text(self, node: Tree[Any]) -> str:
        if node.meta.empty:
            return ""
        return " ".join(self.text[node.meta.start_pos : node.meta.end_pos].split())

    def assertion(self, node: Tree[Any], expr: _Expr | None, rule: str) -> str:
        """A metric rule's expression as a suite assertion (``>= 0.9``, ``between 1 and 2``)."""
        if expr is None:
            raise self.refuse(node, f"{rule} needs an expression such as '> 0.9'")
        if expr.negated or expr.kind in ("in", "matches"):
            raise self.refuse(
                node, f"{rule} supports only comparisons and 'between' (not 'not', 'in', 'matches')"
            )
        if not all(isinstance(v, float) for v in expr.values):
            raise self.refuse(node, f"{rule} compares with numbers only")
        if expr.kind == "between":
            low, high = expr.values
            return f"between {_num(low)} and {_num(high)}"
        op = "==" if expr.op == "=" else str(expr.op)
        return f"{op} {_num(expr.values[0])}"

    def predicate(self, node: Tree[Any], subject: str, expr: _Expr | None) -> str:
        """A row-level rule's expression as a Spark SQL predicate on ``subject``."""
        if expr is None:
            raise self.refuse(node, "the rule needs an expression")
        values = expr.values
        if expr.kind == "compare":
            value, op = values[0], str(expr.op)
            if isinstance(value, Token):
                kw = _keyword(subject, str(value))
                if op == "=":
                    return kw
                if op == "!=":
                    return f"NOT ({kw})"
                raise self.refuse(node, f"{value} can only be compared with = or !=")
            return f"{subject} {'=' if op == '=' else op} {_sql_literal(value)}"
        if expr.kind == "between":
            low, high = values
            if not (isinstance(low, float) and isinstance(high, float)):
                raise self.refuse(node, "'between' takes numbers")
            sql = f"{subject} BETWEEN {_sql_literal(low)} AND {_sql_literal(high)}"
        elif expr.kind == "in":
            plain = [v for v in values if not isinstance(v, Token)]
            parts = [f"{subject} IN ({', '.join(_sql_literal(v) for v in plain)})"] if plain else []
            parts += [_keyword(subject, str(v)) for v in values if isinstance(v, Token)]
            sql = " OR ".join(f"({p})" for p in parts)
        else:
            # Glue's ``matches`` is a whole-value match.
            sql = f"{subject} RLIKE {_sql_literal('^(?:' + str(values[0]) + ')$')}"
        return f"NOT ({sql})" if expr.negated else sql

    def constraints(self, node: Tree[Any]) -> list[ConstraintSpec]:
        if node.data == "composite":
            raise self.refuse(
                node,
                "composite rules (and/or) are not supported: Deequ asserts each constraint on its own; "
                "write the parts as separate rules",
            )
        rule = str(node.children[0])
        if rule not in SUPPORTED_RULES:
            raise self.refuse(
                node, f"rule type {rule} has no Deequ translation (supported: {', '.join(SUPPORTED_RULES)})"
            )
        expr_values = [c.values for c in node.children if isinstance(c, _Expr)]
        odd = [v for values in expr_values for v in values if isinstance(v, _Unsupported)]
        if odd:
            raise self.refuse(node, f"{odd[0].what} in expressions are not supported")
        params = [_unquote(c) for c in node.children[1:] if isinstance(c, Token) and c.type == "STRING"]
        expr = next((c for c in node.children if isinstance(c, _Expr)), None)
        where_node = next((c for c in node.children if isinstance(c, Tree) and c.data == "where"), None)
        threshold_node = next(
            (c for c in node.children if isinstance(c, Tree) and c.data == "threshold"), None
        )
        where = _unquote(str(where_node.children[0])) if where_node is not None else None
        hint = f"DQDL: {self.rule_text(node)}"
        common: dict[str, Any] = {"hint": hint}
        if where:
            common["where"] = where
        if threshold_node is not None and rule not in ("ColumnValues", "ColumnLength"):
            raise self.refuse(node, f"'with threshold' applies to ColumnValues and ColumnLength, not {rule}")

        def need(n: int) -> None:
            if len(params) != n:
                raise self.refuse(node, f"{rule} takes {n} quoted column name(s), got {len(params)}")

        if rule == "RowCount":
            # Glue allows an (ignored) column: ``RowCount "id" > 100``.
            return [ConstraintSpec(type="has_size", assertion=self.assertion(node, expr, rule), **common)]
        if rule == "ColumnCount":
            need(0)
            return [
                ConstraintSpec(type="has_column_count", assertion=self.assertion(node, expr, rule), hint=hint)
            ]
        if rule in ("IsComplete", "IsUnique"):
            need(1)
            if expr is not None:
                raise self.refuse(node, f"{rule} takes no expression")
            kind = "is_complete" if rule == "IsComplete" else "is_unique"
            return [ConstraintSpec.model_validate({"type": kind, "column": params[0], **common})]
        if rule == "IsPrimaryKey":
            if not params:
                raise self.refuse(node, "IsPrimaryKey takes at least one quoted column name")
            complete = [ConstraintSpec(type="is_complete", column=c, **common) for c in params]
            key = {"column": params[0]} if len(params) == 1 else {"columns": params}
            return [*complete, ConstraintSpec(type="is_unique", **key, **common)]
        if rule in METRIC_RULES:
            need(1)
            target: dict[str, Any] = (
                {"columns": params} if rule in ("Uniqueness", "Distinctness") else {"column": params[0]}
            )
            spec = {
                "type": METRIC_RULES[rule],
                "assertion": self.assertion(node, expr, rule),
                **target,
                **common,
            }
            return [ConstraintSpec.model_validate(spec)]
        if rule == "ColumnCorrelation":
            need(2)
            return [
                ConstraintSpec(
                    type="has_correlation",
                    columns=params,
                    assertion=self.assertion(node, expr, rule),
                    **common,
                )
            ]
        if rule == "CustomSql":
            need(1)
            if where:
                raise self.refuse(node, "CustomSql takes no where clause; filter inside the query")
            return [
                ConstraintSpec(
                    type="custom_sql", sql=params[0], assertion=self.assertion(node, expr, rule), hint=hint
                )
            ]
        # Row-level rules: the share of rows satisfying the predicate; all rows unless a threshold says so.
        need(1)
        column = _ident(params[0])
        subject = f"length(coalesce({column}, ''))" if rule == "ColumnLength" else column
        assertion = "== 1"
        if threshold_node is not None:
            op, number = str(threshold_node.children[0]), float(str(threshold_node.children[1]))
            assertion = f"{'==' if op == '=' else op} {_num(number)}"
        return [
            ConstraintSpec(
                type="satisfies",
                name=f"{rule}({params[0]})",
                expression=self.predicate(node, subject, expr),
                requires=[params[0]],
                assertion=assertion,
                **common,
            )
        ]


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _keyword(subject: str, keyword: str) -> str:
    if keyword == "NULL":
        return f"{subject} IS NULL"
    if keyword == "EMPTY":
        return f"{subject} = ''"
    return f"({subject} <> '' AND trim({subject}) = '')"  # WHITESPACES_ONLY


_TOKEN_NAMES = {
    "_RULES": "'Rules'",
    "COMMA": "','",
    "RSQB": "']'",
    "LSQB": "'['",
    "RPAR": "')'",
    "LPAR": "'('",
    "EQUAL": "'='",
    "SIGNED_NUMBER": "a number",
    "STRING": "a quoted string",
    "KEYWORD": "NULL/EMPTY/WHITESPACES_ONLY",
    "COMPARATOR": "a comparison (= != > >= < <=)",
    "RULE_TYPE": "a rule type",
    "BETWEEN": "'between'",
    "IN": "'in'",
    "MATCHES": "'matches'",
    "NOT": "'not'",
    "WHERE": "'where'",
    "WITH": "'with'",
    "LOGIC": "'and'/'or'",
}


def parse_dqdl(text: str, source: str = "<dqdl>") -> Tree[Any]:
    """Parse a DQDL ruleset; raise :class:`DqdlSyntaxError` with line and column on bad syntax."""
    try:
        return _PARSER.parse(text)
    except UnexpectedInput as exc:
        line, column = getattr(exc, "line", 0) or 0, getattr(exc, "column", 0) or 0
        if isinstance(exc, UnexpectedToken):
            what = (
                f"unexpected {exc.token!s:.40}" if exc.token.type != "$END" else "unexpected end of ruleset"
            )
            expected = ", ".join(sorted(_TOKEN_NAMES.get(t, t) for t in exc.expected)[:8])
            detail = f"{what}; expected one of: {expected}"
        elif isinstance(exc, UnexpectedCharacters):
            detail = f"unexpected character {exc.char!r}"
        elif isinstance(exc, UnexpectedEOF):
            detail = "unexpected end of ruleset"
        else:
            detail = str(exc).splitlines()[0]
        context = exc.get_context(text, 30).rstrip() if line else ""
        message = f"{source}:{line}:{column}: DQDL syntax error: {detail}"
        if context:
            message += "\n" + context
        raise DqdlSyntaxError(message, line, column) from None


def dqdl_to_suite(text: str, name: str, level: str = "error", source: str = "<dqdl>") -> SuiteSpec:
    """Translate a DQDL ruleset into a suite with one check of ``level`` holding every rule.

    Each constraint's ``hint`` is the DQDL rule it came from, so a failure message quotes the rule.

    Raises:
        DqdlSyntaxError: the text is not DQDL (message with line and column).
        UnsupportedRuleError: a rule has no Deequ translation (message naming the rule and its line).

    Example:
        >>> suite = dqdl_to_suite('Rules = [ RowCount > 0, IsComplete "doc_id" ]', "docs")
        >>> [c.type for c in suite.checks[0].constraints]
        ['has_size', 'is_complete']
    """
    tree = parse_dqdl(text, source)
    try:
        tree = _Values().transform(tree)
    except VisitError as exc:  # pragma: no cover - the transformer only builds values
        raise SuiteConfigError(f"{source}: {exc.orig_exc}") from None
    translator = _Translator(text, source)
    rules = [c for c in tree.children if isinstance(c, Tree)]
    if not rules:
        raise SuiteConfigError(f"{source}: the ruleset has no rules")
    constraints = [spec for rule in rules for spec in translator.constraints(rule)]
    return SuiteSpec(
        name=name,
        description=f"Translated from the DQDL ruleset {source}.",
        checks=[CheckSpec(name=f"{name}_dqdl", level=level, constraints=constraints)],  # type: ignore[arg-type]
    )


def load_dqdl(path: Path | str, level: str = "error") -> SuiteSpec:
    """Read a ``.dqdl`` file as a suite named after the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SuiteConfigError(f"{path}: cannot read ruleset: {exc.strerror or exc}") from exc
    return dqdl_to_suite(text, name=path.stem, level=level, source=str(path))
