"""Executor-side ``mapInArrow`` functions: shingles, signatures and band hashes per Arrow batch.

They run inside Spark's Python workers on whole Arrow record batches (no pandas conversion, no Python
loop per document); everything they need travels in their arguments, so nothing is loaded per batch.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from dq_engine.dedup.minhash import band_hashes, signatures
from dq_engine.dedup.shingles import ShingleSpec, shingle

SIGNATURE_SCHEMA = "doc_id string, status string, shingle_count int, bands array<bigint>"
SHINGLE_SCHEMA = "doc_id string, shingles array<bigint>"


@dataclass(frozen=True)
class LshSpec:
    """Everything an executor needs to turn text into band hashes."""

    shingles: ShingleSpec
    num_perm: int
    bands: int
    rows: int
    seed: int


def _list_array(offsets: np.ndarray, values: np.ndarray) -> pa.Array:
    return pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), pa.array(values))


def band_batches(batches: Iterator[pa.RecordBatch], spec: LshSpec) -> Iterator[pa.RecordBatch]:
    """``doc_id, text`` batches -> ``doc_id, status, shingle_count, bands`` (null bands when empty)."""
    for batch in batches:
        sh = shingle(batch.column(1), spec.shingles)
        counts = np.diff(sh.offsets)
        bands = band_hashes(
            signatures(sh.offsets, sh.hashes, spec.num_perm, spec.seed), spec.bands, spec.rows
        )
        n = len(counts)
        offsets = np.arange(n + 1, dtype=np.int64) * spec.bands
        band_list = pa.ListArray.from_arrays(
            pa.array(offsets.astype(np.int32)), pa.array(bands.reshape(-1)), mask=pa.array(counts == 0)
        )
        yield pa.RecordBatch.from_arrays(
            [
                batch.column(0),
                pa.array(sh.status.tolist(), pa.string()),
                pa.array(counts, pa.int32()),
                band_list,
            ],
            names=["doc_id", "status", "shingle_count", "bands"],
        )


def shingle_batches(batches: Iterator[pa.RecordBatch], spec: ShingleSpec) -> Iterator[pa.RecordBatch]:
    """``doc_id, text`` batches -> ``doc_id, shingles`` (64-bit shingle hashes, signed for Spark)."""
    for batch in batches:
        sh = shingle(batch.column(1), spec)
        yield pa.RecordBatch.from_arrays(
            [batch.column(0), _list_array(sh.offsets, sh.hashes.view(np.int64))], names=["doc_id", "shingles"]
        )
