"""Exceptions as the one line a user sees (CLI and job scripts)."""

from __future__ import annotations


class OperatorError(RuntimeError):
    """A lakehouse state the operator must act on (a lease held, a half-done restore).

    Its message says what happened and which command to run, so the CLI prints it without a trace.
    """


def one_line(exc: BaseException, limit: int = 400) -> str:
    """An exception's message on one line.

    Multi-line messages of this project (``invalid configuration:`` followed by one line per problem)
    are joined; Spark and Py4J messages (an AnalysisException's plan, a Java stack trace) are cut to
    their first meaningful line.
    """
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if isinstance(exc, ValueError) and not _is_spark_error(exc):
        text = ""
        for line in lines:
            text = line if not text else f"{text} {line}" if text.endswith(":") else f"{text}; {line}"
    else:
        meaningful = [
            line.lstrip(":").strip()
            for line in lines
            if not line.startswith("An error occurred while calling") and line.lstrip(":").strip()
        ]
        text = meaningful[0] if meaningful else ""
        if text.startswith("JVM stacktrace"):
            text = ""
    text = text or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _is_spark_error(exc: BaseException) -> bool:
    return type(exc).__module__.startswith(("pyspark", "py4j"))
