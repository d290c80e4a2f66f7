"""Which bronze ranges a curate processes, given the ops.runs watermark and the silver tables' commits."""

from __future__ import annotations

from dq_engine.core.curate import curate_ranges


def test_normal_run_reads_from_the_watermark() -> None:
    assert curate_ranges(3, 3, 7) == [(3, 7)]
    assert curate_ranges(None, None, 2) == [(None, 2)]


def test_nothing_new_is_no_range() -> None:
    assert curate_ranges(7, 7, 7) == []


def test_interrupted_range_is_finished_first_with_its_own_key() -> None:
    # silver committed bronze up to 5, the watermark was never written, bronze moved on to 8
    assert curate_ranges(3, 5, 8) == [(3, 5), (5, 8)]
    assert curate_ranges(None, 4, 4) == [(None, 4)]
    assert curate_ranges(None, 4, 6) == [(None, 4), (4, 6)]


def test_commits_at_or_behind_the_watermark_change_nothing() -> None:
    assert curate_ranges(6, 5, 8) == [(6, 8)]
