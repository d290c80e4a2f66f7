"""Deterministic corpus for near-duplicate accuracy tests and ``make bench-dedup``.

Every document is built from one seeded numpy generator, so ``generate(n, seed)`` returns the same
documents on every machine. The prose is English-looking: sentences fill part-of-speech templates
from the word lists that ship inside the ``faker`` wheel (about 2,200 nouns, verbs, adjectives and
adverbs in frequency order; only the lists are used, never Faker's own random state), sampled with a
Zipf skew so common words dominate as in real text.

Families (the ``family`` column; a generator label for debugging, never used for scoring: the truth
is computed from the texts by :mod:`bench.dedup_truth`):

- ``unique``: unrelated prose, log-normal length around ``median_words``;
- ``edit``: a base document and 1-5 variants with word substitutions, insertions and deletions at a
  per-variant rate drawn so that similarities spread on both sides of 0.8;
- ``swap``: a base document and variants with a few sentences swapped (plus the odd word edit);
- ``boilerplate``: unrelated bodies (some very short) wrapped in one of a few shared headers/footers;
- ``copy``: exact copies of earlier documents, some with changed case and whitespace;
- ``giant``: about 1% of the corpus, pages of one template that differ in a few slot values;
- ``short``: 1-4 words, half from a small set of stock phrases (many identical), half random;
- ``realworld``: licence texts (MIT, BSD-2/3, Apache notice) and templated notices (cookies,
  unsubscribe footers, e-mail disclaimers) with varying holders, years, sites and companies;
- ``empty``: empty, whitespace-only and punctuation-only texts.

CLI: ``python -m bench.dedup_corpus --n 10000 --out corpus.parquet`` (``.jsonl`` also works).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from faker.providers.lorem.en_US import Provider as _Lorem
from faker.providers.person.en_US import Provider as _Person

_POS = {k: np.array(v, dtype=object) for k, v in _Lorem.parts_of_speech.items()}
_FIRST = np.array(sorted(_Person.first_names), dtype=object)
_LAST = np.array(sorted(_Person.last_names), dtype=object)
_FIXED = {
    "D": np.array(
        ["the", "a", "this", "every", "our", "their", "some", "each", "that", "its", "no", "any"], object
    ),
    "P": np.array(
        [
            "of",
            "in",
            "to",
            "for",
            "with",
            "on",
            "at",
            "from",
            "by",
            "about",
            "into",
            "over",
            "after",
            "under",
            "between",
            "through",
            "during",
            "without",
            "before",
            "against",
            "among",
        ],
        dtype=object,
    ),
    "C": np.array(["and", "but", "or", "so", "while", "because", "although", "yet"], dtype=object),
}
_SLOT = {"N": "noun", "V": "verb", "A": "adjective", "R": "adverb"}

# Sentence shapes: D determiner, A adjective, N noun, V verb, R adverb, P preposition, C conjunction.
_TEMPLATES = [
    "D A N R V D N P D N .",
    "D N V D A N , C D N V R .",
    "P D A N , D N V D N .",
    "R , D N V P D A N C V D N .",
    "D N P D N V A .",
    "D A N V D N P D A N P D N .",
    "D N C D N V R P D N .",
    "V D A N P D N , C V D N R .",
    "D N V A , C D A N V P D N .",
    "P D N P D N , D A N R V D A N .",
]
_TEMPLATE_TOKENS = [t.split() for t in _TEMPLATES]
_TEMPLATE_WEIGHTS = np.array([5, 4, 3, 2, 3, 3, 2, 2, 2, 1], dtype=float)
_TEMPLATE_WEIGHTS /= _TEMPLATE_WEIGHTS.sum()

_STOCK_SHORT = [
    "Read more",
    "Click here",
    "N/A",
    "Thank you!",
    "Page not found",
    "Loading...",
    "Subscribe now",
    "Sign in",
    "Log out",
    "Share this",
    "Continue reading",
    "Learn more",
    "Accept all cookies",
    "Back to top",
    "Next page",
    "Previous",
    "Show more",
    "Contact us",
    "Terms of use",
    "Privacy policy",
    "Buy now",
    "Add to cart",
    "Out of stock",
    "Free shipping",
    "Sold out",
    "Coming soon",
    "Error",
    "Untitled",
    "Home",
    "Yes",
]

_HEADERS = [
    "Skip to main content. Home | About us | Products | Services | Blog | Careers | Contact. Sign in or "
    "create an account to save your preferences and follow the topics you care about.",
    "Welcome to the Riverside Community Portal, your source for local news, events, schools, parks, "
    "transport updates and council announcements. Search the site or browse the sections below to find "
    "what you need.",
    "BREAKING: This article is part of our continuing coverage. Updated hourly by the newsroom staff. "
    "Follow us for alerts, share your story with our reporters, and support independent journalism by "
    "becoming a member today.",
    "Menu. Shop all departments: electronics, home and garden, toys, clothing, sports and outdoors, "
    "grocery, health and beauty. Free delivery on orders over fifty dollars. Download our app for "
    "exclusive offers and track every order in real time.",
    "Documentation home. Getting started, installation, configuration reference, tutorials, API "
    "reference, frequently asked questions, release notes and the community forum. You are reading the "
    "documentation for the latest stable version.",
]
_FOOTERS = [
    "Copyright all rights reserved. Terms of service. Privacy policy. Cookie settings. Accessibility "
    "statement. Sitemap. Do not sell or share my personal information. Contact customer support by phone "
    "or e-mail from Monday to Friday.",
    "Was this page helpful? Yes. No. Thank you for your feedback. Related articles: how to reset your "
    "password, how to update billing details, how to close your account, how to contact the support team.",
    "Subscribe to our weekly newsletter and get the best stories delivered to your inbox every Sunday "
    "morning. No spam, unsubscribe at any time. Follow us on all the usual social networks.",
    "About the author: a staff writer who covers science, technology and culture. Opinions expressed are "
    "the author's own. Corrections policy. Editorial standards. Advertise with us. Work with us.",
    "Posted in General, News, Updates. Tagged community, events, local. Leave a comment. Your e-mail "
    "address will not be published. Required fields are marked. Comment. Name. E-mail. Website. Post "
    "comment.",
]

MIT = """MIT License

Copyright (c) {year} {holder}

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""

BSD = """Copyright (c) {year}, {holder}
All rights reserved.

Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are met:

1. Redistributions of source code must retain the above copyright notice, this
   list of conditions and the following disclaimer.

2. Redistributions in binary form must reproduce the above copyright notice,
   this list of conditions and the following disclaimer in the documentation
   and/or other materials provided with the distribution.
{clause3}
THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"
AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE
FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY,
OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
"""

BSD_CLAUSE3 = """
3. Neither the name of the copyright holder nor the names of its
   contributors may be used to endorse or promote products derived from
   this software without specific prior written permission.
"""

APACHE = """Copyright {year} {holder}

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
"""

# Notices in the style of real sites and mailings; the wording is this project's own.
_NOTICES = [
    "{site} uses cookies and similar technologies to keep you signed in, remember your preferences, "
    "measure how our pages are used and show you relevant content. By clicking Accept you agree to the "
    "use of cookies as described in our cookie policy. You can change your choice at any time in the "
    "privacy settings at the bottom of every page.",
    "We value your privacy. {site} and our partners store and access information on your device, such "
    "as cookies, and process personal data such as unique identifiers to personalise ads and content, "
    "measure ads and content, and develop and improve products. Select Manage options to review the "
    "purposes or Accept all to continue.",
    "You are receiving this e-mail because you subscribed to updates from {company}. If you no longer "
    "wish to receive these messages, you can unsubscribe at any time by clicking the link below or by "
    "updating your preferences in your account. {company}, {number} {street} Street, {city}.",
    "This message was sent to {name} by {company}. To stop receiving marketing e-mails from us, "
    "unsubscribe here. Please do not reply to this e-mail, as this mailbox is not monitored. Questions? "
    "Contact our support team through the help centre.",
    "CONFIDENTIALITY NOTICE: This e-mail and any attachments are confidential and intended solely for "
    "the use of the individual or entity to whom they are addressed. If you have received this e-mail in "
    "error, please notify the sender immediately and delete it from your system. Any unauthorised use, "
    "disclosure or copying is strictly prohibited. {company} accepts no liability for any damage caused "
    "by viruses transmitted by this e-mail.",
]

_COMPANY_SUFFIX = ["Inc.", "LLC", "Ltd", "GmbH", "Labs", "Software", "Technologies", "Group", "and Sons"]


def _zipf(size: int, exponent: float = 1.05) -> np.ndarray:
    weights = 1.0 / np.arange(1, size + 1) ** exponent
    return np.cumsum(weights / weights.sum())


_CDF = {k: _zipf(len(v)) for k, v in _POS.items()}


class _Words:
    """Zipf-skewed word sampler over one generator."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng

    def pos(self, kind: str, size: int) -> np.ndarray:
        cdf = _CDF[kind]
        idx = np.minimum(np.searchsorted(cdf, self.rng.random(size)), len(cdf) - 1)
        return _POS[kind][idx]

    def any(self, size: int) -> np.ndarray:
        kinds = self.rng.choice(["noun", "verb", "adjective", "adverb"], size=size, p=[0.45, 0.25, 0.2, 0.1])
        out = np.empty(size, dtype=object)
        for k in ("noun", "verb", "adjective", "adverb"):
            mask = kinds == k
            out[mask] = self.pos(k, int(mask.sum()))
        return out

    def sentences(self, n_words: int) -> list[str]:
        """Sentences adding up to at least ``n_words`` words."""
        rng = self.rng
        budget = n_words + 20
        pools = {slot: iter(self.pos(kind, budget).tolist()) for slot, kind in _SLOT.items()}
        fixed = {k: iter(v[rng.integers(0, len(v), budget)].tolist()) for k, v in _FIXED.items()}
        out: list[str] = []
        count = 0
        for t in rng.choice(len(_TEMPLATES), size=budget // 6 + 2, p=_TEMPLATE_WEIGHTS):
            words: list[str] = []
            for tok in _TEMPLATE_TOKENS[t]:
                if tok in pools:
                    words.append(next(pools[tok]))
                elif tok in fixed:
                    words.append(next(fixed[tok]))
                elif words:
                    words[-1] += tok
            words[0] = words[0].capitalize()
            out.append(" ".join(words))
            count += len(words)
            if count >= n_words:
                break
        return out


def _join(sentences: list[str], rng: np.random.Generator) -> str:
    """Sentences into paragraphs of 3-6 sentences."""
    paragraphs: list[str] = []
    i = 0
    while i < len(sentences):
        k = int(rng.integers(3, 7))
        paragraphs.append(" ".join(sentences[i : i + k]))
        i += k
    return "\n\n".join(paragraphs)


def _edit(text: str, rate: float, words: _Words) -> str:
    """Substitute, insert or delete words, each position independently with probability ``rate``."""
    rng = words.rng
    tokens = text.split(" ")
    hits = np.flatnonzero(rng.random(len(tokens)) < rate)
    if len(hits) == 0:
        hits = rng.integers(0, len(tokens), 1)
    ops = rng.integers(0, 3, len(hits))
    fresh = words.any(len(hits)).tolist()
    for pos, op, word in sorted(zip(hits.tolist(), ops.tolist(), fresh, strict=True), reverse=True):
        if op == 0:
            tokens[pos] = word
        elif op == 1:
            tokens.insert(pos, word)
        elif len(tokens) > 1:
            del tokens[pos]
    return " ".join(tokens)


@dataclass
class _Builder:
    rng: np.random.Generator
    words: _Words
    median_words: int
    docs: list[dict[str, str]]

    def add(self, text: str, family: str, group: str) -> None:
        self.docs.append({"text": text, "family": family, "group": group})

    def length(self, median: int | None = None) -> int:
        m = median or self.median_words
        return int(np.clip(self.rng.lognormal(np.log(m), 0.45), 8, 12 * m))

    def prose(self, n_words: int) -> list[str]:
        return self.words.sentences(n_words)


def _unique(b: _Builder, count: int) -> None:
    for i in range(count):
        b.add(_join(b.prose(b.length()), b.rng), "unique", f"unique-{i}")


def _edits(b: _Builder, count: int) -> None:
    made = 0
    g = 0
    while made < count:
        base = _join(b.prose(b.length()), b.rng)
        b.add(base, "edit", f"edit-{g}")
        made += 1
        for _ in range(int(b.rng.integers(1, 6))):
            if made >= count:
                break
            # log-uniform rate: most variants are close, a tail falls below 0.8 Jaccard
            rate = float(np.exp(b.rng.uniform(np.log(0.002), np.log(0.06))))
            b.add(_edit(base, rate, b.words), "edit", f"edit-{g}")
            made += 1
        g += 1


def _swaps(b: _Builder, count: int) -> None:
    made = 0
    g = 0
    while made < count:
        sentences = b.prose(b.length())
        b.add(_join(sentences, b.rng), "swap", f"swap-{g}")
        made += 1
        for _ in range(int(b.rng.integers(1, 4))):
            if made >= count:
                break
            s = list(sentences)
            for _ in range(int(b.rng.integers(1, 4))):
                i, j = b.rng.integers(0, len(s), 2)
                s[i], s[j] = s[j], s[i]
            text = _join(s, b.rng)
            if b.rng.random() < 0.3:
                text = _edit(text, 0.004, b.words)
            b.add(text, "swap", f"swap-{g}")
            made += 1
        g += 1


def _boilerplate(b: _Builder, count: int) -> None:
    for _i in range(count):
        h = int(b.rng.integers(0, len(_HEADERS)))
        f = int(b.rng.integers(0, len(_FOOTERS)))
        # a fifth of the bodies are tiny, so the shared frame dominates and some pages truly match
        body_words = int(b.rng.integers(1, 10)) if b.rng.random() < 0.2 else b.length()
        body = _join(b.prose(body_words), b.rng)
        parts = [_HEADERS[h], body] if b.rng.random() < 0.85 else [body]
        if b.rng.random() < 0.85:
            parts.append(_FOOTERS[f])
        b.add("\n\n".join(parts), "boilerplate", f"frame-{h}-{f}")


def _giant(b: _Builder, count: int) -> None:
    rng = b.rng
    template = b.prose(380)
    for _i in range(count):
        adj, noun = b.words.pos("adjective", 1)[0], b.words.pos("noun", 1)[0]
        price = f"${int(rng.integers(5, 500))}.{int(rng.integers(0, 100)):02d}"
        sku = f"SKU-{int(rng.integers(0, 10**6)):06d}"
        date = f"{int(rng.integers(1, 29))} {['March', 'April', 'May', 'June'][int(rng.integers(0, 4))]} 2026"
        s = list(template)
        s.insert(2, f"The {adj} {noun} costs {price} today.")
        s.insert(len(s) // 2, f"Item {sku}.")
        s.append(f"Offer valid until {date}.")
        b.add(_join(s, np.random.Generator(np.random.PCG64(7))), "giant", "giant")


def _short(b: _Builder, count: int) -> None:
    cdf = _zipf(len(_STOCK_SHORT), 1.2)
    for i in range(count):
        if b.rng.random() < 0.5:
            phrase = _STOCK_SHORT[int(np.searchsorted(cdf, b.rng.random()))]
            group = f"stock-{phrase}"
        else:
            phrase = " ".join(b.words.any(int(b.rng.integers(1, 5))).tolist()).capitalize()
            group = f"short-{i}"
        b.add(phrase, "short", group)


def _holder(rng: np.random.Generator, pool: int) -> str:
    # a bounded pool of holders, so the same holder recurs and exact duplicates arise naturally
    k = int(rng.integers(0, pool))
    r = np.random.Generator(np.random.PCG64(k))
    first, last = _FIRST[r.integers(0, len(_FIRST))], _LAST[r.integers(0, len(_LAST))]
    if r.random() < 0.35:
        return f"{last} {_COMPANY_SUFFIX[int(r.integers(0, len(_COMPANY_SUFFIX)))]}"
    return f"{first} {last}"


def _realworld_doc(b: _Builder, pool: int) -> tuple[str, str]:
    rng = b.rng
    kind = int(rng.choice(6, p=[0.3, 0.1, 0.1, 0.12, 0.2, 0.18]))
    year = str(int(rng.integers(1998, 2027)))
    if rng.random() < 0.15:
        year = f"{year}-{int(year) + int(rng.integers(1, 6))}"
    holder = _holder(rng, pool)
    if kind == 0:
        text = MIT.format(year=year, holder=holder)
        if rng.random() < 0.2:
            text = text.replace("MIT License\n\n", "")
        if rng.random() < 0.1:
            text = text.replace("(c)", "©")
        return text, "mit"
    if kind in (1, 2):
        return BSD.format(
            year=year, holder=holder, clause3=BSD_CLAUSE3 if kind == 2 else ""
        ), f"bsd{kind + 1}"
    if kind == 3:
        return APACHE.format(year=year, holder=holder), "apache"
    suffix = [".com", ".org", " News", " Shop", ".io"][int(rng.integers(0, 5))]
    site = f"{_LAST[rng.integers(0, len(_LAST))]}{suffix}"
    company = _holder(rng, pool)
    notice = int(rng.integers(0, 2)) if kind == 4 else int(rng.integers(2, len(_NOTICES)))
    text = _NOTICES[notice].format(
        site=site,
        company=company,
        name=f"{_FIRST[rng.integers(0, len(_FIRST))]} {_LAST[rng.integers(0, len(_LAST))]}",
        number=int(rng.integers(1, 999)),
        street=_LAST[rng.integers(0, len(_LAST))],
        city=_LAST[rng.integers(0, len(_LAST))] + "ville",
    )
    return text, f"notice{notice}"


def _realworld(b: _Builder, count: int) -> None:
    pool = max(4, count // 3)
    for _ in range(count):
        text, group = _realworld_doc(b, pool)
        b.add(text, "realworld", group)


def _empty(b: _Builder, count: int) -> None:
    for i in range(count):
        b.add(["", "   ", "\n\t", "!!!", "... --- ...", "🙂🙂"][i % 6], "empty", "empty")


def _copies(b: _Builder, count: int) -> None:
    sources = [d for d in b.docs if d["family"] != "empty"]
    for i in range(count):
        src = sources[int(b.rng.integers(0, len(sources)))]
        text = src["text"]
        r = b.rng.random()
        if r < 0.3:
            text = text.upper()
        elif r < 0.6:
            text = "  " + text.replace(" ", "  ") + "\n"
        b.add(text, "copy", f"copy-of-{src['group']}-{i}")


# Share of the corpus per family; ``unique`` takes the rest. Order matters: copies copy earlier docs.
_MIX: list[tuple[Callable[[_Builder, int], None], float]] = [
    (_edits, 0.12),
    (_swaps, 0.05),
    (_boilerplate, 0.06),
    (_giant, 0.01),
    (_short, 0.03),
    (_realworld, 0.08),
    (_empty, 0.002),
]


def generate(n_docs: int, seed: int = 0, median_words: int = 300) -> list[dict[str, str]]:
    """``n_docs`` documents ``{id, text, family, group}`` in a seeded, shuffled order."""
    if n_docs < 1:
        return []
    rng = np.random.Generator(np.random.PCG64(seed))
    b = _Builder(rng=rng, words=_Words(rng), median_words=median_words, docs=[])
    counts = [(fn, max(1, round(share * n_docs)) if n_docs >= 100 else 0) for fn, share in _MIX]
    copies = max(1, round(0.05 * n_docs)) if n_docs >= 100 else 0
    used = sum(c for _, c in counts) + copies
    _unique(b, max(0, n_docs - used))
    for fn, c in counts:
        fn(b, c)
    _copies(b, copies)
    docs = b.docs[:n_docs]
    order = rng.permutation(len(docs))
    width = len(str(n_docs))
    return [{"id": f"d{i:0{width}d}", **docs[j]} for i, j in enumerate(order.tolist())]


def generate_realworld(n_docs: int, seed: int = 0) -> list[dict[str, str]]:
    """Only the short real-world-style family (licences and notices), ``n_docs`` of them."""
    rng = np.random.Generator(np.random.PCG64(seed))
    b = _Builder(rng=rng, words=_Words(rng), median_words=300, docs=[])
    _realworld(b, n_docs)
    width = len(str(n_docs))
    return [{"id": f"r{i:0{width}d}", **d} for i, d in enumerate(b.docs)]


def write(docs: list[dict[str, str]], out: Path) -> None:
    """Parquet, or JSON lines when ``out`` ends with ``.jsonl``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".jsonl":
        with out.open("w", encoding="utf-8") as fh:
            for d in docs:
                fh.write(json.dumps(d, ensure_ascii=False) + "\n")
        return
    cols = ["id", "text", "family", "group"]
    table = pa.table({c: pa.array([d[c] for d in docs], pa.string()) for c in cols})
    pq.write_table(table, out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=10_000, help="number of documents")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--median-words", type=int, default=300)
    parser.add_argument("--out", type=Path, required=True, help="output .parquet or .jsonl")
    args = parser.parse_args(argv)
    docs = generate(args.n, args.seed, args.median_words)
    write(docs, args.out)
    print(f"wrote {len(docs)} documents to {args.out}")


if __name__ == "__main__":
    main()
