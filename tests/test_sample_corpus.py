"""The committed sample corpus matches its generator, and its ground truth matches the files.

Pure Python (stdlib + pyarrow): the files are re-read here with a small reference parser that knows
nothing about the generator, so a wrong count or label in ``ground_truth.json`` is caught even if the
generator and the committed files agree with each other.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from collections import Counter
from itertools import combinations
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from dq_engine.sample.corpus import MAX_TEXT_CHARS, write_sample_corpus

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
LANDING = SAMPLE / "landing"

# Similarity bands the dedup tests can rely on (word 5-gram Jaccard, see _shingles).
NEAR_MIN_JACCARD = 0.8
UNRELATED_MAX_JACCARD = 0.5


# --------------------------------------------------------------------------------------------------
# Reference reader: every record of the landing tree as (source, key, text-or-None, quarantine reason)
# --------------------------------------------------------------------------------------------------


def _read(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.name.endswith(".gz") else data


def _lines(data: bytes) -> list[bytes]:
    assert data.endswith(b"\n"), "every line-based file ends with a newline"
    return data[:-1].split(b"\n")


def _text_reason(text: Any) -> str | None:
    if not isinstance(text, str) or not text.strip():
        return "missing_text"
    if len(text) > MAX_TEXT_CHARS:
        return "oversize"
    return None


Record = tuple[str, str, "str | None", "str | None"]


def _records() -> list[Record]:
    out: list[Record] = []
    for path in sorted((LANDING / "web").iterdir()):
        for i, line in enumerate(_lines(_read(path)), start=1):
            try:
                obj = json.loads(line.decode("utf-8"))
            except ValueError:
                out.append(("web", f"{path.name}:{i}", None, "malformed_json"))
                continue
            if not isinstance(obj, dict):
                out.append(("web", f"{path.name}:{i}", None, "malformed_json"))
                continue
            reason = _text_reason(obj.get("text"))
            out.append(("web", obj["id"], None if reason else obj["text"], reason))

    for path in sorted((LANDING / "forum").iterdir()):
        rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8"), newline="")))
        assert rows[0] == ["post_id", "thread", "author", "body"]
        for row in rows[1:]:
            if len(row) != 4:
                out.append(("forum", row[0], None, "malformed_csv"))
                continue
            reason = _text_reason(row[3])
            out.append(("forum", row[0], None if reason else row[3], reason))

    for path in sorted((LANDING / "tickets").iterdir()):
        for i, raw in enumerate(_lines(_read(path)), start=1):
            key = f"{path.name}:{i}"
            try:
                decoded = raw.decode("utf-8")
            except UnicodeDecodeError:
                out.append(("tickets", key, None, "invalid_utf8"))
                continue
            reason = _text_reason(decoded)
            out.append(("tickets", key, None if reason else decoded, reason))

    for path in sorted((LANDING / "pages").iterdir()):
        text = path.read_bytes().decode("utf-8")
        reason = _text_reason(text)
        out.append(("pages", path.name, None if reason else text, reason))

    for path in sorted((LANDING / "synthetic").iterdir()):
        for row in pq.read_table(path).to_pylist():
            reason = _text_reason(row["text"])
            out.append(("synthetic", row["id"], None if reason else row["text"], reason))

    for path in sorted((LANDING / "exports").iterdir()):
        payload = json.loads(path.read_bytes().decode("utf-8"))
        for obj in payload if isinstance(payload, list) else [payload]:
            reason = _text_reason(obj.get("content"))
            out.append(("exports", obj["doc"], None if reason else obj["content"], reason))
    return out


@pytest.fixture(scope="module")
def truth() -> dict[str, Any]:
    return json.loads((SAMPLE / "ground_truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def records() -> list[Record]:
    return _records()


@pytest.fixture(scope="module")
def texts(records: list[Record]) -> dict[tuple[str, str], str]:
    return {
        (source, key): text for source, key, text, reason in records if reason is None and text is not None
    }


def _exact_key(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower()).strip()


def _shingles(text: str, n: int = 5) -> set[tuple[str, ...]]:
    tokens = re.findall(r"\w+", text.lower())
    if len(tokens) < n:
        return {tuple(tokens)}
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


def _jaccard(a: set[tuple[str, ...]], b: set[tuple[str, ...]]) -> float:
    return len(a & b) / len(a | b)


# --------------------------------------------------------------------------------------------------
# The committed files are exactly what the generator writes
# --------------------------------------------------------------------------------------------------


def _tree(root: Path) -> dict[str, Path]:
    return {p.relative_to(root).as_posix(): p for p in sorted(root.rglob("*")) if p.is_file()}


def test_regenerating_reproduces_the_committed_files(tmp_path: Path) -> None:
    truth = write_sample_corpus(tmp_path, seed=7)
    committed, fresh = _tree(SAMPLE), _tree(tmp_path)
    assert sorted(fresh) == sorted(committed)
    for rel, path in committed.items():
        # Parquet records its writer's version, so bytes are only comparable for the same pyarrow
        # release; otherwise compare schema and rows.
        if rel.endswith(".parquet") and (
            pq.read_metadata(path).created_by != pq.read_metadata(fresh[rel]).created_by
        ):
            assert pq.read_table(path).equals(pq.read_table(fresh[rel]))
            continue
        assert fresh[rel].read_bytes() == path.read_bytes(), f"{rel} drifted from the generator"
    assert truth == json.loads((SAMPLE / "ground_truth.json").read_text(encoding="utf-8"))


def test_generation_is_deterministic_and_replaces_stale_files(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    write_sample_corpus(first, seed=11)
    (first / "landing" / "web" / "stale.jsonl").write_text("{}\n")
    write_sample_corpus(first, seed=11)
    write_sample_corpus(second, seed=11)
    a, b = _tree(first), _tree(second)
    assert sorted(a) == sorted(b)
    assert all(a[rel].read_bytes() == b[rel].read_bytes() for rel in a)
    # Gzip members carry no timestamp and no file name.
    for rel, path in a.items():
        if rel.endswith(".gz"):
            header = path.read_bytes()[:10]
            assert header[4:8] == b"\0\0\0\0" and not header[3] & 0x08


def test_whole_tree_stays_small() -> None:
    assert sum(p.stat().st_size for p in _tree(SAMPLE).values()) < 1_500_000


# --------------------------------------------------------------------------------------------------
# Counts
# --------------------------------------------------------------------------------------------------


def test_record_and_quarantine_counts_match_the_files(truth: dict[str, Any], records: list[Record]) -> None:
    for source, expected in truth["sources"].items():
        mine = [r for r in records if r[0] == source]
        assert len(mine) == expected["records"], source
        assert dict(Counter(r[3] for r in mine if r[3])) == expected["quarantine"], source
    totals = truth["totals"]
    assert totals["records"] == len(records)
    assert totals["quarantined"] == sum(1 for r in records if r[3])
    assert totals["valid"] == totals["records"] - totals["quarantined"] == len(truth["documents"])


def test_expected_anomalies_are_present(truth: dict[str, Any]) -> None:
    q = {source: v["quarantine"] for source, v in truth["sources"].items()}
    assert q["web"] == {"malformed_json": 4, "missing_text": 3, "oversize": 1}
    assert q["forum"] == {"malformed_csv": 1, "missing_text": 1}
    assert q["tickets"] == {"invalid_utf8": 1, "missing_text": 1}
    assert q["pages"] == {} and q["exports"] == {}
    assert q["synthetic"] == {"missing_text": 1}
    assert 300 <= truth["totals"]["valid"] <= 450
    # The single blank line and the single invalid line are both in tickets-000.txt.
    raw = _lines((LANDING / "tickets" / "tickets-000.txt").read_bytes())
    assert raw.count(b"") == 1
    assert sum(b"\xff\xfe" in line for line in raw) == 1
    assert b"" not in _lines(_read(LANDING / "tickets" / "tickets-001.txt.gz"))


def test_documents_are_exactly_the_valid_records(
    truth: dict[str, Any], texts: dict[tuple[str, str], str]
) -> None:
    listed = [(d["source"], d["key"]) for d in truth["documents"]]
    assert len(listed) == len(set(listed))
    assert set(listed) == set(texts)


# --------------------------------------------------------------------------------------------------
# Labels
# --------------------------------------------------------------------------------------------------


def test_exact_duplicate_groups(truth: dict[str, Any], texts: dict[tuple[str, str], str]) -> None:
    by_key: dict[str, set[tuple[str, str]]] = {}
    for ref, text in texts.items():
        by_key.setdefault(_exact_key(text), set()).add(ref)
    expected = sorted(sorted(g) for g in by_key.values() if len(g) > 1)
    groups: dict[str, set[tuple[str, str]]] = {}
    for d in truth["documents"]:
        if d["exact_dup_group"]:
            groups.setdefault(d["exact_dup_group"], set()).add((d["source"], d["key"]))
    assert sorted(sorted(g) for g in groups.values()) == expected
    # Within and across sources, and at least one pair that differs only in case or whitespace.
    sources_per_group = [{s for s, _ in g} for g in groups.values()]
    assert any(len(s) == 1 for s in sources_per_group) and any(len(s) > 1 for s in sources_per_group)
    assert any(len({texts[ref] for ref in g}) > 1 for g in groups.values())
    assert len(groups) >= 10


def test_near_duplicates_are_similar_and_everything_else_is_not(
    truth: dict[str, Any], texts: dict[tuple[str, str], str]
) -> None:
    docs = truth["documents"]
    shingles = {(d["source"], d["key"]): _shingles(texts[(d["source"], d["key"])]) for d in docs}
    near: dict[str, list[tuple[str, str]]] = {}
    for d in docs:
        if d["near_dup_group"]:
            assert d["exact_dup_group"] is None
            near.setdefault(d["near_dup_group"], []).append((d["source"], d["key"]))
    assert 18 <= len(near) <= 25
    for label, members in near.items():
        assert len(members) == 2, label
        assert _jaccard(shingles[members[0]], shingles[members[1]]) >= NEAR_MIN_JACCARD, label
    # No accidental similarity between documents the ground truth calls unrelated.
    group = {
        (d["source"], d["key"]): d["exact_dup_group"] or d["near_dup_group"] or f"{d['source']}/{d['key']}"
        for d in docs
    }
    for a, b in combinations(shingles, 2):
        if group[a] != group[b]:
            assert _jaccard(shingles[a], shingles[b]) < UNRELATED_MAX_JACCARD, (a, b)


def _luhn_ok(number: str) -> bool:
    digits = [int(c) for c in number][::-1]
    total = sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(digits))
    return total % 10 == 0


def _iban_ok(iban: str) -> bool:
    s = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in s)) % 97 == 1


# Patterns for the kinds that have an unambiguous surface form; names, addresses and phones do not.
_PII_PATTERNS = {
    "email": re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    "ipv4": re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b"),
    "ssn": re.compile(r"\b\d{3}-\d{2}-\d{4}\b"),
    "iban": re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b"),
    "credit_card": re.compile(r"\b\d(?:[ -]?\d){12,18}\b"),
}


def test_pii_labels_agree_with_the_text(truth: dict[str, Any], texts: dict[tuple[str, str], str]) -> None:
    kinds: Counter[str] = Counter()
    for d in truth["documents"]:
        text = texts[(d["source"], d["key"])]
        for kind, pattern in _PII_PATTERNS.items():
            found = [m.group(0) for m in pattern.finditer(text)]
            if kind == "credit_card":
                found = [f for f in found if _luhn_ok(re.sub(r"\D", "", f))]
            if kind == "iban":
                found = [f for f in found if _iban_ok(f.replace(" ", ""))]
            assert bool(found) == (kind in d["pii"]), (d["source"], d["key"], kind)
        kinds.update(d["pii"])
    assert set(kinds) == {"address", "credit_card", "email", "iban", "ipv4", "person", "phone", "ssn"}
    assert min(kinds.values()) >= 5


def test_label_coverage(truth: dict[str, Any], texts: dict[tuple[str, str], str]) -> None:
    docs = truth["documents"]
    langs = Counter(d["lang"] for d in docs)
    assert langs.most_common(1)[0][0] == "en" and langs["en"] > len(docs) // 2
    for lang in ("de", "fr", "es", "it", "pt", "nl", "ru", "zh", "ja", "ar"):
        assert 3 <= langs[lang] <= 10, lang
    assert 12 <= sum(d["toxic"] for d in docs) <= 20
    assert 8 <= sum(d["short"] for d in docs) <= 15
    assert 4 <= sum(d["repetitive"] for d in docs) <= 8
    assert 4 <= sum(d["boilerplate"] for d in docs) <= 10
    for d in docs:
        assert d["short"] == (len(_exact_key(texts[(d["source"], d["key"])])) < 20)
    # Scripts match the declared language for the non-Latin ones.
    scripts = {
        "ru": r"[\u0400-\u04ff]",
        "zh": r"[\u4e00-\u9fff]",
        "ja": r"[\u3040-\u30ff]",
        "ar": r"[\u0600-\u06ff]",
    }
    for d in docs:
        for lang, pattern in scripts.items():
            if d["lang"] == lang:
                assert re.search(pattern, texts[(d["source"], d["key"])]), (d["key"], lang)


def test_csv_exercises_rfc4180_quoting(records: list[Record]) -> None:
    bodies = [text for source, _, text, _ in records if source == "forum" and text]
    assert any("\n" in b for b in bodies)
    assert any('"' in b for b in bodies)
    assert any("," in b for b in bodies)


def test_exports_are_whole_file_json() -> None:
    assert isinstance(json.loads((LANDING / "exports" / "export-000.json").read_text(encoding="utf-8")), list)
    assert isinstance(json.loads((LANDING / "exports" / "export-001.json").read_text(encoding="utf-8")), dict)
    assert (LANDING / "exports" / "export-000.json").read_text(encoding="utf-8").count("\n") > 10
