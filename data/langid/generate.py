"""Regenerate ``faker_multilingual.jsonl``: a labelled multilingual set built from Faker's word lists.

Faker (MIT, see LICENSE-faker-MIT.txt) ships per-locale lorem providers whose word lists are common words
of each language. Texts here are sequences of those words grouped into sentences, so they carry each
language's vocabulary and script but not its grammar. Run with the dev extra installed:

    .venv/bin/python data/langid/generate.py

Each line: ``id``, ``lang`` (ISO 639-1), ``locale`` (Faker's), ``kind`` (``long``: 20-40 words,
``short``: 3-8 words), ``text``.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from faker import Faker

# Locales whose lorem provider holds real words of the language (he_IL and la are Latin lorem ipsum).
LOCALES = {
    "ar": "ar_AA", "az": "az_AZ", "bn": "bn_BD", "cs": "cs_CZ", "da": "da_DK", "de": "de_DE",
    "el": "el_GR", "en": "en_US", "es": "es_ES", "fa": "fa_IR", "fr": "fr_FR", "hy": "hy_AM",
    "it": "it_IT", "ja": "ja_JP", "mk": "mk_MK", "nl": "nl_NL", "pl": "pl_PL", "ru": "ru_RU",
    "th": "th_TH", "tl": "tl_PH", "uk": "uk_UA", "vi": "vi_VN", "zh": "zh_CN",
}  # fmt: skip
# Languages written without spaces between words.
NO_SPACES = {"ja", "zh", "th"}
PER_KIND = 40


def _text(fake: Faker, rng: random.Random, lang: str, n_words: int) -> str:
    words = fake.words(nb=n_words)
    joiner = "" if lang in NO_SPACES else " "
    out, i = [], 0
    while i < len(words):
        k = min(rng.randint(4, 12), len(words) - i)
        sentence = joiner.join(words[i : i + k])
        end = "。" if lang in ("ja", "zh") else "."
        out.append(sentence[:1].upper() + sentence[1:] + end)
        i += k
    return ("" if lang in NO_SPACES else " ").join(out)


def main() -> None:
    rows = []
    for lang, locale in LOCALES.items():
        fake = Faker(locale)
        fake.seed_instance(f"dq-engine-{locale}")
        rng = random.Random(locale)
        for kind, lo, hi in (("long", 20, 40), ("short", 3, 8)):
            for i in range(PER_KIND):
                text = _text(fake, rng, lang, rng.randint(lo, hi))
                rows.append(
                    {"id": f"{lang}-{kind}-{i}", "lang": lang, "locale": locale, "kind": kind, "text": text}
                )
    out = Path(__file__).with_name("faker_multilingual.jsonl")
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"{len(rows)} texts, {len(LOCALES)} languages -> {out}")


if __name__ == "__main__":
    main()
