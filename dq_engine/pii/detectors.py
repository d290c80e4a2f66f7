"""Structured PII detectors: a Java regex, an optional validator and a type code each.

Two engines evaluate the same detectors. ``sql`` (the reference) builds Spark SQL expressions:
candidates come from :func:`marked_parts` / :func:`spans_from_parts` and are kept by a validator
written as JVM expressions (:mod:`dq_engine.pii.validators`). ``jvm`` hands the patterns, gates and
validator names to one Java UDF (:mod:`dq_engine.pii.jvm`) that returns the same findings. No
Python runs per row in either.

Boundaries are lookarounds rather than ``\\b`` so that a digit run glued to a letter, a dash or a dot
(order ids, version strings, ISBN parts) is not a candidate at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, IntegerType, StringType, StructField, StructType

from dq_engine.pii import jvm
from dq_engine.pii import validators as V
from dq_engine.pii.spans import marked_parts, spans_from_parts

FINDING_TYPE = "array<struct<type:string,start:int,end:int,detector:string,value:string>>"
FINDINGS_STRUCT = ArrayType(
    StructType(
        [
            StructField("type", StringType()),
            StructField("start", IntegerType()),
            StructField("end", IntegerType()),
            StructField("detector", StringType()),
            StructField("value", StringType()),
        ]
    )
)


@dataclass(frozen=True)
class Detector:
    """One detector. ``gate`` is a cheaper regex every document holding a match satisfies; in the SQL
    engine, documents that fail it skip the position extraction entirely. ``check`` names the validator
    (:func:`dq_engine.pii.validators.by_name`) every match must pass.

    ``starts``, ``not_after``, ``needs`` and ``anchors`` are necessary conditions the JVM engine
    tests instead of scanning with the gate: a Java regex costs tens of nanoseconds per position it
    tries, so it only tries positions whose character is in ``starts`` and whose previous character
    is not in ``not_after``, in documents holding a ``needs`` character and one of the ``anchors``.
    They must be sound (never exclude a real match); ``tests/pii/test_jvm_scanner.py`` holds the
    engines equal."""

    name: str
    type: str
    pattern: str
    description: str
    check: str | None = None
    gate: str | None = None
    #: Java char class holding the first character of every match (the JVM engine tries matches only
    #: there); must be sound, ``tests/pii/test_jvm_scanner.py`` checks it against the SQL engine
    starts: str | None = None
    #: ASCII char class the character before a match is never in (the pattern's leading lookbehind)
    not_after: str | None = None
    #: Java char class of which every document holding a match holds at least one character
    needs: str | None = None
    #: lower-case literals of which every document holding a match contains one, once its ASCII
    #: letters are lower-cased (the SQL gate's job, as a few substring searches)
    anchors: tuple[str, ...] | None = None

    @property
    def validator(self) -> Callable[[Column], Column] | None:
        return V.by_name(self.check) if self.check else None

    def parts(self, text: Column) -> Column:
        """The marked-and-split text (:func:`marked_parts`); null when nothing matches."""
        return marked_parts(text, self.pattern, self.gate)

    def findings(self, parts: Column) -> Column:
        """``array<struct<type, start, end, detector, value>>`` of validated matches, from a column
        holding :meth:`parts`."""
        found = spans_from_parts(parts)
        if self.validator is not None:
            validate = self.validator
            found = F.filter(found, lambda s: validate(s["value"]))
        return F.transform(
            found,
            lambda s: F.struct(
                F.lit(self.type).alias("type"),
                s["start"].alias("start"),
                s["end"].alias("end"),
                F.lit(self.name).alias("detector"),
                s["value"].alias("value"),
            ),
        )


_B = "(?<![A-Za-z0-9_])"  # not glued to a word on the left
_E = "(?![A-Za-z0-9_])"  # ... or on the right
_NUM_L = "(?<![\\w+./-])(?<!\\d[ .-])"  # a number not continuing another token (version, id, date, path)
_NUM_R = "(?![\\w/-]|[.,]\\d)"
_OCTET = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)"
_H = "[0-9A-Fa-f]{1,4}"
_MONTHS = (
    "(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    "Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_STREET_SUFFIX = (
    "(?:Street|St\\.|Avenue|Ave\\.?|Road|Rd\\.|Boulevard|Blvd\\.?|Lane|Drive|Court|Way|Place|Terrace|"
    "Parkway|Square|Highway)"
)

# every street line holds one of these, lower-cased (the suffixes of both alternatives)
_STREET_ANCHORS = (
    "street", "st.", "avenue", "ave", "road", "rd.", "boulevard", "blvd", "lane", "drive", "court", "way",
    "place", "terrace", "parkway", "square", "highway", "straße", "strasse", "weg", "platz", "allee",
    "gasse", "ring", "damm",
)  # fmt: skip

DETECTORS: tuple[Detector, ...] = (
    Detector(
        "private_key_block",
        "PRIVATE_KEY",
        "-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----"
        "(?:[\\s\\S]{0,8000}?-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----"
        "|[A-Za-z0-9+/=\\s]*)",
        "PEM private-key block (RSA/EC/OPENSSH/PKCS#8), to its END line or, truncated, to the end of the"
        " base64 body",
        gate="PRIVATE KEY-----",
        starts="-",
        anchors=("private key-----",),
    ),
    Detector(
        "jwt",
        "JWT",
        "(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{16,}(?![A-Za-z0-9_-])",
        'JSON Web Token: base64url header and payload both starting with `{"`, and a signature',
        gate="eyJ",
        starts="e",
        not_after="[A-Za-z0-9_-]",
        anchors=("eyj",),
    ),
    Detector(
        "aws_access_key_id",
        "AWS_ACCESS_KEY",
        _B + "(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z2-7]{16}" + _E,
        "AWS access key id: a known 4-letter prefix and 16 base32 characters",
        gate="A[KSGIRNP][IPDON]A",
        starts="A",
        not_after="[A-Za-z0-9_]",
        anchors=("akia", "asia", "agpa", "aida", "aroa", "anpa", "anva", "aipa"),
    ),
    Detector(
        "github_token",
        "GITHUB_TOKEN",
        _B + "(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})" + _E,
        "GitHub classic (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`) and fine-grained (`github_pat_`) tokens",
        gate="gh[pousr]_|github_pat_",
        starts="g",
        not_after="[A-Za-z0-9_]",
        needs="_",
        anchors=("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    ),
    Detector(
        "gitlab_token",
        "GITLAB_TOKEN",
        "(?<![A-Za-z0-9_-])glpat-[A-Za-z0-9_-]{20,64}(?![A-Za-z0-9_-])",
        "GitLab personal access token (`glpat-`)",
        gate="glpat-",
        starts="g",
        not_after="[A-Za-z0-9_-]",
        needs="-",
        anchors=("glpat-",),
    ),
    Detector(
        "slack_token",
        "SLACK_TOKEN",
        "(?<![A-Za-z0-9_-])xox[abposr]-[A-Za-z0-9-]{10,100}(?![A-Za-z0-9_-])"
        "|https://hooks\\.slack\\.com/services/T[A-Z0-9]{6,12}/B[A-Z0-9]{6,12}/[A-Za-z0-9]{20,32}",
        "Slack bot/user/app tokens (`xoxb-` ...) and incoming-webhook URLs",
        gate="xox[abposr]-|hooks\\.slack\\.com",
        starts="[xh]",
        needs="[-/]",
        anchors=("xox", "hooks.slack.com"),
    ),
    Detector(
        "url_password",
        "URL_PASSWORD",
        "(?<ctx>[A-Za-z][A-Za-z0-9+.-]{1,15}://[^\\s:/@]{1,64}:)(?<pii>[^\\s/@<>]{1,128})(?=@)",
        "the password of a `scheme://user:password@host` URL (the user name and host are left)",
        gate="://[^\\s:/@]+:[^\\s/@]+@",
        starts="[A-Za-z]",
        needs="@",
        anchors=("://",),
    ),
    Detector(
        "secret_assignment",
        "SECRET",
        "(?<ctx>(?i:api[_-]?key|apikey|secret|secret[_-]?key|client[_-]?secret|access[_-]?token|"
        "auth[_-]?token|token|password|passwd|pwd|private[_-]?key|access[_-]?key)[\"']?\\s{0,3}[:=]\\s{0,3}"
        "[\"']?)(?<pii>[A-Za-z0-9_\\-+/=.!@#$%^&]{7,127}[A-Za-z0-9=])",
        "the value of a `key=value`/`key: value` whose key names a secret (api_key, token, password, ...):"
        " at least 8 characters, letters and digits, Shannon entropy >= 3 bits/char",
        check="secret",
        gate="(?i)(key|secret|token|passw(or)?d|pwd)[\"']?\\s{0,3}[:=]",
        starts="[aAsScCtTpP]",
        needs="[:=]",
        anchors=("key", "secret", "token", "passw", "pwd"),
    ),
    Detector(
        "email",
        "EMAIL",
        "(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@"
        "(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z]{2,24}(?![A-Za-z0-9_-])",
        "e-mail address: RFC 5322 dot-atom local part, a dotted host name, an alphabetic TLD",
        gate="@",
        starts="[A-Za-z0-9]",
        not_after="[A-Za-z0-9._%+-]",
        needs="@",
        anchors=("@",),
    ),
    Detector(
        "payment_card",
        "CREDIT_CARD",
        _NUM_L
        + "(?:\\d{4}([ -]?)\\d{4}\\1\\d{4}\\1\\d{1,7}|3[47]\\d{2}([ -]?)\\d{6}\\2\\d{5}|\\d{13,19})"
        + _NUM_R,
        "payment card: 13-19 digits, plain or in 4-digit groups (Amex 4-6-5), issuer prefix, Luhn",
        check="card",
        starts="[0-9]",
        not_after="[A-Za-z0-9_+./-]",
    ),
    Detector(
        "iban",
        "IBAN",
        "(?<![A-Za-z0-9])[A-Z]{2}\\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])",
        "IBAN, compact or in groups of four: country length and ISO 7064 mod-97 check",
        check="iban",
        gate="[A-Z]{2}\\d{2}",
        starts="[A-Z]",
        not_after="[A-Za-z0-9]",
        needs="[0-9]",
    ),
    Detector(
        "us_ssn",
        "US_SSN",
        _NUM_L + "(?!000|666|9\\d\\d)\\d{3}([- ])(?!00)\\d{2}\\1(?!0000)\\d{4}" + _NUM_R,
        "US social security number `AAA-GG-SSSS` (dashes or spaces): area not 000/666/9xx, group not 00,"
        " serial not 0000",
        starts="[0-9]",
        not_after="[A-Za-z0-9_+./-]",
    ),
    Detector(
        "ipv4",
        "IPV4",
        "(?<![\\w.])(?<!(?i:version|release|build|ver\\.?|v)\\s?)(?:"
        + _OCTET
        + "\\.){3}"
        + _OCTET
        + "(?![\\w.]?\\d|\\w)",
        "IPv4 dotted quad, every octet 0-255, not glued to other numbers or after `v`/`version`",
        gate="\\d\\.\\d{1,3}\\.\\d{1,3}\\.\\d",
        starts="[0-9]",
        not_after="[A-Za-z0-9_.]",
        needs="[.]",
    ),
    Detector(
        "ipv6",
        "IPV6",
        "(?<![\\w:.])(?:(?:"
        + _H
        + ":){7}"
        + _H
        + "|(?:"
        + _H
        + ":){1,6}:"
        + _H
        + "|(?:"
        + _H
        + ":){1,5}(?::"
        + _H
        + "){1,2}"
        + "|(?:"
        + _H
        + ":){1,4}(?::"
        + _H
        + "){1,3}"
        + "|(?:"
        + _H
        + ":){1,3}(?::"
        + _H
        + "){1,4}"
        + "|(?:"
        + _H
        + ":){1,2}(?::"
        + _H
        + "){1,5}"
        + "|"
        + _H
        + ":(?::"
        + _H
        + "){1,6}"
        + "|(?:"
        + _H
        + ":){2,7}:"
        + "|:(?::"
        + _H
        + "){2,7})(?![\\w:.])",
        "IPv6, full or `::`-compressed (at least two groups; MAC addresses and clock times do not match)",
        check="ipv6",
        gate=":",
        starts="[0-9A-Fa-f:]",
        not_after="[A-Za-z0-9_:.]",
        needs=":",
    ),
    Detector(
        "phone_international",
        "PHONE",
        "(?<![\\w+])(?<!\\d[ .-])(?:\\+|00(?=[1-9]\\d{0,2}[ .-]))[1-9]\\d{0,2}(?:[ .-]?\\(0\\))?"
        "(?:[ .-]?\\(\\d{1,4}\\))?(?:[ .-]?\\d{1,5}){2,6}(?![\\w-]|[.,]\\d)",
        "international number: `+` (or `00` and a separator) and a country code, 8-15 digits in groups",
        check="international_phone",
        gate="\\+\\d|00\\d",
        starts="[+0]",
        not_after="[A-Za-z0-9_+]",
    ),
    Detector(
        "phone_nanp",
        "PHONE",
        "(?<![\\w+./-])(?<!\\d[ .-])(?:1[ .-])?"
        "(?:\\([2-9]\\d{2}\\) ?|[2-9]\\d{2}([-. ]))[2-9]\\d{2}[-. ]\\d{4}"
        "(?: ?(?:x|ext\\.?) ?\\d{1,5})?(?![\\w/-]|[.,]\\d)",
        "US/Canada national `(212) 555-0147`, `212-555-0147`, `212.555.0147`, optional `1-` and extension",
        starts="[1-9(]",
        not_after="[A-Za-z0-9_+./-]",
    ),
    Detector(
        "phone_uk",
        "PHONE",
        "(?<![\\w+./-])(?<!\\d[ .-])"
        "(?:\\(0\\d{3,4}\\) ?\\d{3} ?\\d{3,4}|0\\d{2} \\d{4} \\d{4}|0\\d{3} \\d{3} \\d{3,4}"
        "|0\\d{4} \\d{5,6})(?![\\w/-]|[.,]\\d)",
        "UK national with the usual spacing: `020 7946 0958`, `0113 496 0000`, `07700 900123`,"
        " `(01632) 960 001`",
        starts="[(0]",
        not_after="[A-Za-z0-9_+./-]",
    ),
    Detector(
        "phone_de",
        "PHONE",
        "(?<![\\w+./-])(?<!\\d[ .-])(?:\\(0\\d{2,5}\\) ?|0\\d{2,5}[ /-])\\d{3,8}(?:-\\d{1,5})?"
        "(?![\\w/-]|[.,]\\d)",
        "German national `030 12345678`, `089/1234567`, `(06221) 123456`, `0171-1234567`: 9-12 digits",
        check="digits:9-12",
        starts="[(0]",
        not_after="[A-Za-z0-9_+./-]",
    ),
    Detector(
        "phone_fr",
        "PHONE",
        "(?<![\\w+./-])(?<!\\d[ .-])0[1-9]([ .-])\\d{2}(?:\\1\\d{2}){3}(?![\\w/-]|[.,]\\d)",
        "French national `01 23 45 67 89`, `06.12.34.56.78`",
        starts="0",
        not_after="[A-Za-z0-9_+./-]",
    ),
    Detector(
        "phone_jp",
        "PHONE",
        "(?<![\\w+./-])(?<!\\d[ .-])0\\d{1,4}-\\d{1,4}-\\d{4}(?![\\w/-]|[.,]\\d)",
        "Japanese national `03-1234-5678`, `090-1234-5678`: 10-11 digits",
        check="digits:10-11",
        starts="0",
        not_after="[A-Za-z0-9_+./-]",
    ),
    Detector(
        "date_of_birth",
        "DATE_OF_BIRTH",
        "(?<ctx>(?i:born(?: on)?|date of birth|birth ?date|d\\.o\\.b\\.|dob|birthday|geboren am|n[ée]e? le)"
        "[:,]?\\s{1,2})(?<pii>\\d{4}-\\d{2}-\\d{2}|\\d{1,2}[./-]\\d{1,2}[./-](?:\\d{4}|\\d{2})|"
        + _MONTHS
        + "\\.? \\d{1,2}(?:st|nd|rd|th)?,? \\d{4}|\\d{1,2}(?:st|nd|rd|th)?\\.? "
        + _MONTHS
        + "\\.?,? \\d{4}|\\d{1,2}\\. [A-Z][a-zä]+ \\d{4}|\\d{1,2} [a-zéû]+ \\d{4})(?![\\w/-]|[.,]\\d)",
        "a date right after a birth cue (`born`, `date of birth`, `DOB:`, `geboren am`, `né le`): ISO, "
        "numeric or written month. Dates without the cue are not personal data on their own",
        check="birth_year",
        gate="(?i)born|birth|d\\.?o\\.?b|geboren|n[ée]e? le",
        starts="[bBdDgGnN]",
        needs="[0-9]",
        anchors=("born", "birth", "d.o.b", "dob", "geboren", "e le", "é le"),
    ),
    Detector(
        "street_address",
        "STREET_ADDRESS",
        "(?<![\\w-])\\d{1,5}[A-Za-z]? (?:[A-Z][a-z]+ ){1,3}"
        + _STREET_SUFFIX
        + "(?:,? (?:Apt\\.?|Suite|Unit) \\d{1,5})?(?![\\w])"
        + "|(?<![\\w-])[A-ZÄÖÜ][a-zäöüß]+(?:straße|strasse|weg|platz|allee|gasse|ring|damm) \\d{1,4}[a-z]?"
        + "(?![\\w])",
        "street line: house number + capitalised name + a street suffix (`Street`, `Ave.`, ...), or a"
        " German `...straße 12` / `...weg 3a`",
        gate="\\d",
        starts="[0-9A-ZÄÖÜ]",
        not_after="[A-Za-z0-9_-]",
        needs="[0-9]",
        anchors=(*_STREET_ANCHORS,),
    ),
)

TYPES: tuple[str, ...] = tuple(dict.fromkeys(d.type for d in DETECTORS))


def select_detectors(types: Iterable[str] | None = None) -> tuple[Detector, ...]:
    """The detectors for ``types`` (all when None). Unknown type codes are a ``ValueError``."""
    if types is None:
        return DETECTORS
    wanted = list(types)
    unknown = sorted(set(wanted) - set(TYPES))
    if unknown:
        raise ValueError(f"unknown PII type(s) {unknown}; known: {', '.join(TYPES)}")
    return tuple(d for d in DETECTORS if d.type in wanted)


def _greedy(ordered: Column) -> Column:
    init = F.struct(F.array().cast(FINDING_TYPE).alias("kept"), F.lit(-1).alias("last_end"))

    def step(acc: Column, f: Column) -> Column:
        take = f["start"] >= acc["last_end"]
        return F.struct(
            F.when(take, F.concat(acc["kept"], F.array(f))).otherwise(acc["kept"]).alias("kept"),
            F.when(take, f["end"]).otherwise(acc["last_end"]).alias("last_end"),
        )

    return F.aggregate(ordered, init, step, lambda acc: acc["kept"])


def find_pii(
    df: DataFrame,
    text_column: str,
    out_column: str,
    detectors: Sequence[Detector] = DETECTORS,
    extra: Sequence[str] = (),
    engine: Literal["sql", "jvm"] = "sql",
) -> DataFrame:
    """``df`` plus ``out_column``: the validated, non-overlapping findings in ``text_column``, sorted.

    ``extra`` names columns already holding finding arrays (e.g. from an NER backend) to merge in.
    Overlaps are resolved greedily left to right (at one start, the detector listed first, then the
    longest): a private-key block swallows the base64
    inside it; a card number beats the phone pattern that matched part of it). Each step is its own
    projection whose input column is read several times, so Catalyst keeps them apart and nothing is
    evaluated twice.

    ``engine="jvm"`` finds the structured matches with ``io.dqengine.pii.PiiScanner`` (its jar must
    be on the classpath); the result is the same.
    """
    if engine == "jvm":
        text_col = F.col(text_column)
        if not extra:
            found = jvm.findings_column(df.sparkSession, text_col, detectors, FINDINGS_STRUCT)
            return df.withColumn(out_column, found)
        raw_jvm = jvm.findings_column(df.sparkSession, text_col, detectors, FINDINGS_STRUCT, resolve=False)
        return _resolve(df.withColumn("_pii_raw", raw_jvm), ["_pii_raw", *extra], detectors, out_column)
    tmp = [f"_pii_parts_{i}" for i in range(len(detectors))]
    text = F.col(text_column)
    staged = df.withColumns({t: d.parts(text) for t, d in zip(tmp, detectors, strict=True)}) if tmp else df
    arrays = [d.findings(F.col(t)) for t, d in zip(tmp, detectors, strict=True)]
    staged = staged.withColumn("_pii_raw", _concat([*arrays, *(F.col(c) for c in extra)])).drop(*tmp)
    return _resolve(staged, ["_pii_raw"], detectors, out_column)


def _concat(arrays: Sequence[Column]) -> Column:
    if not arrays:
        return F.array().cast(FINDING_TYPE)
    return F.concat(*arrays) if len(arrays) > 1 else arrays[0]


def _resolve(
    df: DataFrame, columns: Sequence[str], detectors: Sequence[Detector], out_column: str
) -> DataFrame:
    """``out_column``: the findings of ``columns`` sorted and without overlaps; ``columns`` dropped."""
    raw = _concat([F.col(c) for c in columns])
    ranks = F.create_map(*[x for i, d in enumerate(detectors) for x in (F.lit(d.name), F.lit(i))])

    def rank(f: Column) -> Column:
        return F.coalesce(ranks[f["detector"]], F.lit(len(detectors)))

    # same start: the detector listed first wins (a URL password over the e-mail-like `pw@host`),
    # then the longer match
    ordered = F.array_sort(
        raw,
        lambda a, b: (
            F.when(a["start"] != b["start"], F.when(a["start"] < b["start"], -1).otherwise(1))
            .when(rank(a) != rank(b), F.when(rank(a) < rank(b), -1).otherwise(1))
            .when(a["end"] != b["end"], F.when(a["end"] > b["end"], -1).otherwise(1))
            .otherwise(0)
        ),
    )
    staged = df.withColumn("_pii_sorted", ordered).drop(*columns)
    s = F.col("_pii_sorted")
    # aggregate is slow in Spark 3.5; only documents with overlapping findings pay for it
    overlap = F.exists(
        F.sequence(F.lit(2), F.greatest(F.size(s), F.lit(2))),
        lambda i: (F.size(s) >= i) & (F.element_at(s, i)["start"] < F.element_at(s, i - 1)["end"]),
    )
    return staged.withColumn(out_column, F.when(overlap, _greedy(s)).otherwise(s)).drop("_pii_sorted")
