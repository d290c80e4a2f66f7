"""Exact near-duplicate ground truth and the accuracy metrics of a predicted clustering.

Shingles: exactly the stage's, :func:`dq_engine.dedup.shingles.shingle` with
``ShingleSpec(unit="auto", word_ngram=5, char_ngram=5)``, reduced per document to the set of distinct
64-bit hashes. A document whose status is ``empty`` has no shingle and is never a duplicate.

True pairs: every pair of documents with Jaccard ``|A & B| / |A | B| >= threshold`` (float64, the
same expression the stage evaluates), found without comparing all pairs:

1. documents with identical shingle sets collapse to one representative (their pairs have Jaccard 1);
2. prefix filtering (Bayardo et al., "Scaling up all pairs similarity search", WWW 2007): order the
   shingles by global frequency (rarest first); if ``J(x, y) >= t`` then ``|x & y| >= ceil(t * |x|)``,
   so the first ``|x| - ceil(t * |x|) + 1`` shingles of ``x`` and of ``y`` share at least one
   shingle. Candidates are the pairs that share a prefix shingle and pass the size filter
   ``min(|x|, |y|) >= t * max(|x|, |y|)``;
3. every candidate is verified with its exact intersection size; no approximation anywhere.

Ground-truth clusters are the connected components of the true pairs (so two documents may share a
component through a chain although their own Jaccard is below the threshold; :class:`Scores` counts
those pairs).

Metrics for a prediction ``(doc_id, cluster_id, kept)``:

- pair precision / recall: over unordered pairs of documents placed in one predicted cluster versus
  pairs in one ground-truth component (counted from the contingency table, never enumerated);
- dropped precision / recall: a ground-truth component ``G`` of size ``g >= 2`` must lose exactly
  ``g - 1`` members, any of them. With ``D`` the dropped documents,
  ``correct = sum over G of min(|D & G|, |G| - 1)``; dropped precision = ``correct / |D|`` (dropping a
  singleton, or the last member of a component, is a false drop) and dropped recall =
  ``correct / sum over G of (|G| - 1)``;
- ``true_pair_recall``: share of true pairs (Jaccard >= t) whose two documents share a predicted
  cluster; ``chained_pairs_predicted``: pairs in one predicted cluster whose own Jaccard is below the
  threshold (transitive chaining); ``chained_pairs_truth``: the same inside ground-truth components.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pyarrow as pa
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from dq_engine.dedup.shingles import STATUS_EMPTY, ShingleSpec, shingle

SPEC = ShingleSpec(unit="auto", word_ngram=5, char_ngram=5)
_BATCH = 2_048
_PAIR_CHUNK = 4_000_000  # candidate pairs materialised at once
_VERIFY_CHUNK = 8_000_000  # shingle look-ups per verification chunk


@dataclass
class ShingleSets:
    """Distinct sorted shingle hashes per document: document ``i`` owns ``hashes[indptr[i]:indptr[i+1]]``."""

    indptr: np.ndarray
    hashes: np.ndarray
    status: np.ndarray

    @property
    def sizes(self) -> np.ndarray:
        return np.diff(self.indptr)

    def set_of(self, i: int) -> set[int]:
        return set(self.hashes[self.indptr[i] : self.indptr[i + 1]].tolist())


def shingle_sets(texts: Sequence[str], spec: ShingleSpec = SPEC) -> ShingleSets:
    """The stage's shingles of ``texts`` as per-document sets (empty documents get none)."""
    indptr = [np.zeros(1, dtype=np.int64)]
    chunks: list[np.ndarray] = []
    statuses: list[np.ndarray] = []
    total = 0
    for start in range(0, len(texts), _BATCH):
        sh = shingle(pa.array(list(texts[start : start + _BATCH]), pa.string()), spec)
        doc = sh.doc_index()
        keep = sh.status[doc] != STATUS_EMPTY
        doc, h = doc[keep], sh.hashes[keep]
        order = np.lexsort((h, doc))
        doc, h = doc[order], h[order]
        first = np.ones(len(h), dtype=bool)
        first[1:] = (doc[1:] != doc[:-1]) | (h[1:] != h[:-1])
        doc, h = doc[first], h[first]
        counts = np.bincount(doc, minlength=len(sh.status))
        indptr.append(total + np.cumsum(counts))
        total += int(counts.sum())
        chunks.append(h)
        statuses.append(sh.status)
    return ShingleSets(
        indptr=np.concatenate(indptr).astype(np.int64),
        hashes=np.concatenate(chunks) if chunks else np.zeros(0, np.uint64),
        status=np.concatenate(statuses) if statuses else np.zeros(0, object),
    )


def _is_duplicate(inter: np.ndarray, size_a: np.ndarray, size_b: np.ndarray, threshold: float) -> np.ndarray:
    # the stage's expression: intersection / (|a| + |b| - intersection) >= threshold, in float64
    return inter / (size_a + size_b - inter).astype(np.float64) >= threshold


def _ragged_pairs(starts: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All ``(p, q)``, ``p < q``, inside each run ``[start, start + length)`` of a flat array."""
    pos = np.repeat(starts, lengths) + (
        np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    )
    ends = np.repeat(starts + lengths, lengths)
    partners = ends - pos - 1
    left = np.repeat(pos, partners)
    offs = np.arange(int(partners.sum())) - np.repeat(np.cumsum(partners) - partners, partners)
    return left, left + 1 + offs


def _candidates(indptr: np.ndarray, ranks: np.ndarray, threshold: float) -> np.ndarray:
    """Unique candidate pairs (encoded ``a * n + b``, ``a < b``) sharing a prefix token."""
    n = len(indptr) - 1
    sizes = np.diff(indptr)
    prefix = sizes - np.ceil(threshold * sizes - 1e-9).astype(np.int64) + 1
    prefix = np.clip(prefix, 1, sizes)
    doc_of = np.repeat(np.arange(n), sizes)
    pos = np.arange(len(ranks)) - indptr[doc_of]
    in_prefix = pos < prefix[doc_of]
    tok, doc = ranks[in_prefix], doc_of[in_prefix]
    order = np.lexsort((doc, tok))
    tok, doc = tok[order], doc[order]
    bounds = np.flatnonzero(np.concatenate([[True], tok[1:] != tok[:-1], [True]]))
    starts, lengths = bounds[:-1], np.diff(bounds)
    multi = lengths > 1
    starts, lengths = starts[multi], lengths[multi]
    work = lengths * (lengths - 1) // 2
    found: list[np.ndarray] = []
    lo = 0
    cum = np.cumsum(work)
    while lo < len(starts):
        # groups whose pairs fit in one chunk (a single oversized group still goes alone)
        hi = max(lo + 1, int(np.searchsorted(cum, (cum[lo - 1] if lo else 0) + _PAIR_CHUNK, side="right")))
        p, q = _ragged_pairs(starts[lo:hi], lengths[lo:hi])
        a, b = doc[p], doc[q]
        sa, sb = sizes[a], sizes[b]
        ok = np.minimum(sa, sb) >= threshold * np.maximum(sa, sb) - 1e-9
        found.append(np.unique(a[ok].astype(np.int64) * n + b[ok]))
        lo = hi
    if not found:
        return np.zeros(0, dtype=np.int64)
    return np.unique(np.concatenate(found))


def _verify(indptr: np.ndarray, ranks: np.ndarray, a: np.ndarray, b: np.ndarray, vocab: int) -> np.ndarray:
    """Exact ``|set(a) & set(b)|`` per pair, by looking up the smaller set's tokens in the larger."""
    sizes = np.diff(indptr)
    small = np.where(sizes[a] <= sizes[b], a, b)
    large = np.where(sizes[a] <= sizes[b], b, a)
    doc_of = np.repeat(np.arange(len(sizes)), sizes)
    keys = doc_of.astype(np.int64) * vocab + ranks  # sorted: documents in order, ranks sorted inside
    inter = np.zeros(len(a), dtype=np.int64)
    cum = np.cumsum(sizes[small])
    lo = 0
    while lo < len(a):
        hi = max(lo + 1, int(np.searchsorted(cum, (cum[lo - 1] if lo else 0) + _VERIFY_CHUNK, side="right")))
        s, lg = small[lo:hi], large[lo:hi]
        n_tok = sizes[s]
        pair = np.repeat(np.arange(hi - lo), n_tok)
        idx = np.repeat(indptr[s], n_tok) + (
            np.arange(int(n_tok.sum())) - np.repeat(np.cumsum(n_tok) - n_tok, n_tok)
        )
        query = np.repeat(lg.astype(np.int64), n_tok) * vocab + ranks[idx]
        at = np.minimum(np.searchsorted(keys, query), len(keys) - 1)
        inter[lo:hi] = np.bincount(pair, weights=keys[at] == query, minlength=hi - lo).astype(np.int64)
        lo = hi
    return inter


@dataclass
class GroundTruth:
    """True pairs (doc indices ``i < j`` with their Jaccard) and components of a corpus."""

    ids: np.ndarray  # doc ids, object array
    threshold: float
    pair_i: np.ndarray
    pair_j: np.ndarray
    pair_sim: np.ndarray
    component: np.ndarray  # component label per document (singletons have their own)
    status: np.ndarray

    @property
    def n_pairs(self) -> int:
        return len(self.pair_i)

    def component_sizes(self) -> np.ndarray:
        return np.bincount(self.component)


def true_pairs(sets: ShingleSets, threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every document pair ``(i, j, jaccard)``, ``i < j``, with Jaccard >= ``threshold`` (exact)."""
    n = len(sets.sizes)
    sizes = sets.sizes
    # 1. identical sets -> one representative
    group_of = np.full(n, -1, dtype=np.int64)
    reps: list[int] = []
    seen: dict[bytes, int] = {}
    for d in np.flatnonzero(sizes > 0).tolist():
        key = sets.hashes[sets.indptr[d] : sets.indptr[d + 1]].tobytes()
        g = seen.setdefault(key, len(reps))
        if g == len(reps):
            reps.append(d)
        group_of[d] = g
    rep = np.array(reps, dtype=np.int64)
    if len(rep) == 0:
        empty = np.zeros(0, np.int64)
        return empty, empty, np.zeros(0)
    r_sizes = sizes[rep]
    r_indptr = np.concatenate([[0], np.cumsum(r_sizes)]).astype(np.int64)
    gather = np.repeat(sets.indptr[rep], r_sizes) + (
        np.arange(int(r_sizes.sum())) - np.repeat(r_indptr[:-1], r_sizes)
    )
    tokens = sets.hashes[gather]
    # 2. global frequency order (rarest first, hash breaks ties), ranks sorted inside each document
    uniq, inverse, counts = np.unique(tokens, return_inverse=True, return_counts=True)
    order = np.lexsort((uniq, counts))
    rank_of = np.empty(len(uniq), dtype=np.int64)
    rank_of[order] = np.arange(len(uniq))
    ranks = rank_of[inverse]
    r_doc = np.repeat(np.arange(len(rep)), r_sizes)
    ranks = ranks[np.lexsort((ranks, r_doc))]
    cand = _candidates(r_indptr, ranks, threshold)
    ca, cb = cand // len(rep), cand % len(rep)
    # 3. exact verification
    inter = _verify(r_indptr, ranks, ca, cb, len(uniq))
    ok = _is_duplicate(inter, r_sizes[ca], r_sizes[cb], threshold)
    ca, cb = ca[ok], cb[ok]
    sim = inter[ok] / (r_sizes[ca] + r_sizes[cb] - inter[ok]).astype(np.float64)
    # expand representatives back to documents: members(A) x members(B), plus pairs inside each group
    members = np.argsort(group_of, kind="stable")[np.sum(group_of < 0) :]
    g_sizes = np.bincount(group_of[group_of >= 0], minlength=len(rep))
    g_start = np.concatenate([[0], np.cumsum(g_sizes)])[:-1]
    na, nb = g_sizes[ca], g_sizes[cb]
    cross = na * nb
    pair = np.repeat(np.arange(len(ca)), cross)
    k = np.arange(int(cross.sum())) - np.repeat(np.cumsum(cross) - cross, cross)
    di = members[g_start[ca][pair] + k // nb[pair]]
    dj = members[g_start[cb][pair] + k % nb[pair]]
    dsim = sim[pair]
    p, q = _ragged_pairs(g_start, g_sizes)
    di = np.concatenate([di, members[p]])
    dj = np.concatenate([dj, members[q]])
    dsim = np.concatenate([dsim, np.ones(len(p))])
    lo, hi = np.minimum(di, dj), np.maximum(di, dj)
    order = np.lexsort((hi, lo))
    return lo[order], hi[order], dsim[order]


def brute_force_pairs(sets: ShingleSets, threshold: float) -> set[tuple[int, int]]:
    """Reference for small inputs: every pair compared with Python sets."""
    n = len(sets.sizes)
    as_sets = [sets.set_of(i) for i in range(n)]
    out: set[tuple[int, int]] = set()
    for i in range(n):
        if not as_sets[i]:
            continue
        for j in range(i + 1, n):
            if not as_sets[j]:
                continue
            inter = len(as_sets[i] & as_sets[j])
            if inter / float(len(as_sets[i]) + len(as_sets[j]) - inter) >= threshold:
                out.add((i, j))
    return out


def ground_truth(ids: Sequence[str], texts: Sequence[str], threshold: float = 0.8) -> GroundTruth:
    """Exact true pairs and their connected components for a corpus."""
    sets = shingle_sets(texts)
    i, j, sim = true_pairs(sets, threshold)
    n = len(texts)
    graph = coo_matrix((np.ones(len(i), dtype=np.int8), (i, j)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return GroundTruth(
        ids=np.array(list(ids), dtype=object),
        threshold=threshold,
        pair_i=i,
        pair_j=j,
        pair_sim=sim,
        component=labels.astype(np.int64),
        status=sets.status,
    )


@dataclass
class Scores:
    """Accuracy of one predicted clustering against a :class:`GroundTruth` (see module docstring)."""

    documents: int
    true_pairs: int
    truth_component_pairs: int
    predicted_pairs: int
    correct_pairs: int
    pair_precision: float
    pair_recall: float
    true_pair_recall: float
    chained_pairs_predicted: int
    chained_pairs_truth: int
    must_drop: int
    dropped: int
    correct_drops: int
    dropped_precision: float
    dropped_recall: float

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def _pairs_in(labels: np.ndarray) -> int:
    counts = np.unique(labels, return_counts=True)[1].astype(np.int64)
    return int((counts * (counts - 1) // 2).sum())


def _ratio(num: int, den: int) -> float:
    return num / den if den else 1.0


def score(
    truth: GroundTruth, doc_ids: Sequence[str], cluster_ids: Sequence[str], kept: Sequence[bool]
) -> Scores:
    """Score predicted rows against ``truth``; every document of the truth must be predicted exactly once."""
    index = {d: k for k, d in enumerate(truth.ids.tolist())}
    if len(index) != len(truth.ids):
        raise ValueError("ground truth has repeated ids")
    pos = np.array([index[d] for d in doc_ids], dtype=np.int64)
    if len(pos) != len(truth.ids) or len(np.unique(pos)) != len(pos):
        raise ValueError(
            f"prediction covers {len(np.unique(pos))} of {len(truth.ids)} documents, {len(pos)} rows"
        )
    cluster_codes = np.unique(np.array(list(cluster_ids), dtype=object), return_inverse=True)[1]
    predicted = np.empty(len(pos), dtype=np.int64)
    predicted[pos] = cluster_codes
    dropped_mask = np.zeros(len(pos), dtype=bool)
    dropped_mask[pos] = ~np.asarray(kept, dtype=bool)

    gt = truth.component
    joint = predicted * (int(gt.max()) + 1) + gt
    pred_pairs, gt_pairs, both = _pairs_in(predicted), _pairs_in(gt), _pairs_in(joint)
    same = predicted[truth.pair_i] == predicted[truth.pair_j]
    true_in_pred = int(same.sum())

    sizes = truth.component_sizes()
    must_drop = int((sizes[sizes > 1] - 1).sum())
    dropped_per = np.bincount(gt[dropped_mask], minlength=len(sizes))
    correct = int(np.minimum(dropped_per, np.maximum(sizes - 1, 0)).sum())
    n_dropped = int(dropped_mask.sum())
    return Scores(
        documents=len(pos),
        true_pairs=truth.n_pairs,
        truth_component_pairs=gt_pairs,
        predicted_pairs=pred_pairs,
        correct_pairs=both,
        pair_precision=_ratio(both, pred_pairs),
        pair_recall=_ratio(both, gt_pairs),
        true_pair_recall=_ratio(true_in_pred, truth.n_pairs),
        chained_pairs_predicted=pred_pairs - true_in_pred,
        chained_pairs_truth=gt_pairs - truth.n_pairs,
        must_drop=must_drop,
        dropped=n_dropped,
        correct_drops=correct,
        dropped_precision=_ratio(correct, n_dropped),
        dropped_recall=_ratio(correct, must_drop),
    )


def score_subset(
    truth: GroundTruth, doc_ids: Sequence[str], cluster_ids: Sequence[str], kept: Sequence[bool]
) -> Scores:
    """:func:`score` on the rows whose document is in ``truth`` (a family scored on its own truth,
    from a run over a larger corpus: pairs with documents outside the family are not counted)."""
    wanted = set(truth.ids.tolist())
    rows = [(d, c, k) for d, c, k in zip(doc_ids, cluster_ids, kept, strict=True) if d in wanted]
    return score(truth, [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])


def describe(s: Scores) -> str:
    """One line for logs and benchmark output."""
    return (
        f"pairs P={s.pair_precision:.4f} R={s.pair_recall:.4f} (true-pair R={s.true_pair_recall:.4f}), "
        f"dropped P={s.dropped_precision:.4f} R={s.dropped_recall:.4f} "
        f"({s.dropped} dropped, {s.must_drop} must go), chained pairs: "
        f"predicted {s.chained_pairs_predicted}, truth {s.chained_pairs_truth}"
    )


__all__ = [
    "SPEC",
    "GroundTruth",
    "Scores",
    "ShingleSets",
    "brute_force_pairs",
    "describe",
    "ground_truth",
    "score",
    "score_subset",
    "shingle_sets",
    "true_pairs",
]
