"""Masking strategies and the salted keys behind pseudonyms and finding hashes.

Strategies (per type):

- ``placeholder`` — ``<EMAIL>``.
- ``hash`` — ``<EMAIL_1f3a9c0b2d>``: a consistent pseudonym, the first 10 hex digits of SHA-256 over
  the key, the type and the value. Same value -> same token across documents and runs as long as the
  salt is the same. The salt comes only from the environment variable named by ``salt_env``
  (default ``DQ_ENGINE_PII_SALT``); choosing ``hash`` without it set is a :class:`MissingSaltError`.
- ``partial`` — every letter and digit but the last four becomes ``*``
  (``**** **** **** 4242``); separators stay, so the shape is still recognisable.

The text is rebuilt from the original and the (non-overlapping, sorted) findings with one
``aggregate`` in the JVM.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
from collections.abc import Mapping
from typing import Literal

from pyspark.sql import Column
from pyspark.sql import functions as F

log = logging.getLogger(__name__)

Strategy = Literal["placeholder", "hash", "partial"]
STRATEGIES: tuple[str, ...] = ("placeholder", "hash", "partial")
DEFAULT_SALT_ENV = "DQ_ENGINE_PII_SALT"

_process_key: str | None = None


class MissingSaltError(RuntimeError):
    """The ``hash`` strategy was chosen but the salt environment variable is not set."""


def _derive(salt: str) -> str:
    # The Spark plan carries this derived key as a literal, never the salt itself.
    return hashlib.sha256(b"dq-engine-pii\x1f" + salt.encode("utf-8")).hexdigest()


def pseudonym_key(salt_env: str = DEFAULT_SALT_ENV) -> str:
    """The key for consistent pseudonyms; a clear error when the salt is not in the environment."""
    salt = os.environ.get(salt_env)
    if not salt:
        raise MissingSaltError(
            f"PII masking strategy 'hash' needs a salt: set the environment variable {salt_env} "
            "(keep it secret and stable; it is never read from config files)"
        )
    return _derive(salt)


def findings_key(salt_env: str = DEFAULT_SALT_ENV) -> str:
    """The key for ``value_hash`` in findings: the salt when set, else a random key per process.

    Without a salt, hashes still hide the value and still group equal values within the run, but do
    not match across runs; a warning says so once.
    """
    salt = os.environ.get(salt_env)
    if salt:
        return _derive(salt)
    global _process_key
    if _process_key is None:
        log.warning(
            "%s is not set: PII finding hashes use a random per-process key and do not join across runs",
            salt_env,
        )
        _process_key = _derive(secrets.token_hex(32))
    return _process_key


def salted_hash(key: str, type_: Column, value: Column) -> Column:
    """Hex SHA-256 of key, type and value (unit-separated so fields cannot run together)."""
    return F.sha2(F.concat_ws("\u001f", F.lit(key), type_, value), 256)


def mask_token(finding: Column, strategies: Mapping[str, str], default: str, key: str | None) -> Column:
    """The replacement text of one finding struct (``type``, ``value``) under the configured strategies."""

    def token(strategy: str) -> Column:
        if strategy == "placeholder":
            return F.concat(F.lit("<"), finding["type"], F.lit(">"))
        if strategy == "hash":
            assert key is not None
            digest = F.substring(salted_hash(key, finding["type"], finding["value"]), 1, 10)
            return F.concat(F.lit("<"), finding["type"], F.lit("_"), digest, F.lit(">"))
        if strategy == "partial":
            value = finding["value"]
            n = F.length(value)
            keep = F.least(F.lit(4), n)
            head = F.regexp_replace(value.substr(F.lit(1), n - keep), "[\\p{L}\\p{N}]", "*")
            return F.concat(head, value.substr(n - keep + 1, F.lit(4)))
        raise ValueError(f"unknown masking strategy {strategy!r}; known: {', '.join(STRATEGIES)}")

    out = token(default)
    for type_, strategy in strategies.items():
        if strategy != default:
            out = F.when(finding["type"] == type_, token(strategy)).otherwise(out)
    return out


def apply_masks(
    text: Column,
    findings: Column,
    strategies: Mapping[str, str],
    default: str,
    key: str | None,
) -> Column:
    """``text`` with each finding's span replaced by its token.

    ``findings`` must be sorted and disjoint, and a column reference (it is read inside the lambda).
    Each finding contributes the original text since the previous finding plus its token; ``transform``
    and ``array_join`` do it without the slow ``aggregate``.
    """

    def piece(f: Column, idx: Column) -> Column:
        prev_end = F.when(idx == 0, F.lit(0)).otherwise(F.element_at(findings, idx)["end"])
        before = text.substr(prev_end + 1, f["start"] - prev_end)
        return F.concat(before, mask_token(f, strategies, default, key))

    last_end = F.element_at(findings, -1)["end"]
    rebuilt = F.concat(
        F.array_join(F.transform(findings, piece), ""), text.substr(last_end + 1, F.lit(1 << 30))
    )
    return F.when(F.size(findings) > 0, rebuilt).otherwise(text)
