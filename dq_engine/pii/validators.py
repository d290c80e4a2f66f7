"""Checksum and plausibility validators as Spark SQL Column expressions.

Each function takes the matched value (a string Column) and returns a boolean Column. They run inside
``filter`` over a document's candidate matches, so all of them are JVM expressions (higher-order
functions over ``sequence``), never Python.
"""

from __future__ import annotations

from collections.abc import Callable

from pyspark.sql import Column
from pyspark.sql import functions as F

# IBAN lengths of the SEPA countries and the other common ones; unknown countries get the ISO 13616
# bounds (15..34) plus the checksum.
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AT": 20, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29, "CH": 21, "CR": 22,
    "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18,
    "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22,
    "IL": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15,
    "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SE": 24, "SI": 19,
    "SK": 24, "SM": 27, "TN": 24, "TR": 26, "UA": 29, "VG": 24, "XK": 20,
}  # fmt: skip


def digits_only(value: Column) -> Column:
    return F.regexp_replace(value, "[^0-9]", "")


def _digit_sum(digits: Column) -> Column:
    """Sum of the decimal digits of a digits-only string: each digit becomes that many marks (one
    chain of ``replace``, so the input expression is not duplicated), then ``length``."""
    unary = F.replace(digits, F.lit("0"), F.lit(""))
    for d in range(1, 10):
        unary = F.replace(unary, F.lit(str(d)), F.lit("x" * d))
    return F.length(unary)


def luhn_valid(value: Column) -> Column:
    """Luhn checksum over the digits of ``value`` (separators ignored).

    Scalar expressions only (``aggregate`` is slow in Spark 3.5): reverse the digits, split them into
    even and odd positions with a regex, map the doubled ones through ``translate`` (``2d`` with its
    digits summed: 0246813579) and add the digit sums.
    """
    r = F.reverse(digits_only(value))
    kept = F.regexp_replace(r, "(.).?", "$1")
    doubled = F.translate(F.regexp_replace(r, ".(.?)", "$1"), "0123456789", "0246813579")
    return (F.length(r) > 0) & ((_digit_sum(kept) + _digit_sum(doubled)) % 10 == 0)


def card_valid(value: Column) -> Column:
    """A payment card number: 13-19 digits, a known issuer prefix, Luhn, not one repeated digit.

    The issuer prefixes (Visa 4, Mastercard 51-55/22-27, Amex 34/37, Diners 30/36/38, JCB 35,
    Discover/UnionPay 6) reject ISBN-13s (978/979) and most digit runs that pass Luhn by chance.
    """
    d = digits_only(value)
    n = F.length(d)
    return (
        n.between(13, 19)
        & d.rlike("^(4|5[1-5]|2[2-7]|3[047]|3[5-8]|6)")
        & ~d.rlike("^(\\d)\\1+$")
        & luhn_valid(d)
    )


def iban_valid(value: Column) -> Column:
    """ISO 13616: the country's length when known (15..34 otherwise) and mod-97 of the rearranged
    alphanumeric string equal to 1."""
    s = F.upper(F.regexp_replace(value, "[ ]", ""))
    n = F.length(s)
    rearranged = F.concat(F.substring(s, 5, 64), F.substring(s, 1, 4))
    lengths = F.create_map(*[x for k, v in IBAN_LENGTHS.items() for x in (F.lit(k), F.lit(v))])
    expected = lengths[F.substring(s, 1, 2)]
    # letters become 10..35: prefix the tens digit by letter range, then map each letter to its units
    numeric = F.regexp_replace(rearranged, "([A-J])", "1$1")
    numeric = F.regexp_replace(numeric, "([K-T])", "2$1")
    numeric = F.regexp_replace(numeric, "([U-Z])", "3$1")
    numeric = F.lpad(
        F.translate(numeric, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "01234567890123456789012345"), 72, "0"
    )
    # mod 97 of up to 72 digits: fold 9-digit chunks (leading zeros change nothing), each step fits a long
    mod = F.lit(0).cast("long")
    for start in range(1, 73, 9):
        mod = (mod * 1_000_000_000 + F.substring(numeric, start, 9).cast("long")) % 97
    length_ok = F.when(expected.isNotNull(), n == expected).otherwise(n.between(15, 34))
    return length_ok & s.rlike("^[A-Z]{2}[0-9]{2}[A-Z0-9]+$") & (mod == 1)


def digit_count_between(value: Column, low: int, high: int) -> Column:
    return F.length(digits_only(value)).between(low, high)


def international_phone_valid(value: Column) -> Column:
    """E.164 allows at most 15 digits; fewer than 8 is a short code, not a subscriber number.

    A trunk ``(0)`` written after the country code is not dialled and does not count.
    """
    return digit_count_between(F.regexp_replace(value, "\\(0\\)", ""), 8, 15)


def shannon_entropy(value: Column) -> Column:
    """Bits per character of ``value``'s character distribution."""
    n = F.length(value)
    chars = F.array_distinct(F.split(value, ""))

    def add(acc: Column, c: Column) -> Column:
        count = n - F.length(F.replace(value, c, F.lit("")))
        p = count / n
        return acc + (-p * F.log2(p))

    return F.when(n > 0, F.aggregate(chars, F.lit(0.0), add)).otherwise(F.lit(0.0))


def secret_value_valid(value: Column) -> Column:
    """A value after a secret-ish key: long enough, letters and digits, and not low-entropy.

    Placeholders (``YOUR_API_KEY``, ``changeme``, ``********``) have no digits or little entropy.
    """
    return (
        (F.length(value) >= 8)
        & value.rlike("[A-Za-z]")
        & value.rlike("[0-9]")
        & (shannon_entropy(value) >= 3.0)
    )


def ipv6_valid(value: Column) -> Column:
    """At least two non-empty groups and at most one ``::`` (the regex admits the shapes)."""
    groups = F.filter(F.split(value, ":"), lambda g: g != "")
    double = F.size(F.split(value, "::")) - 1
    return (F.size(groups) >= 2) & (double <= 1) & ((double == 1) | (F.size(groups) == 8))


def plausible_birth_year(value: Column) -> Column:
    """A date of birth names a year between 1900 and 2029 (two-digit years are accepted too)."""
    return value.rlike("(19|20)\\d\\d") | value.rlike("[./-]\\d\\d$")


_NAMED: dict[str, Callable[[Column], Column]] = {
    "card": card_valid,
    "iban": iban_valid,
    "secret": secret_value_valid,
    "ipv6": ipv6_valid,
    "international_phone": international_phone_valid,
    "birth_year": plausible_birth_year,
}


def by_name(check: str) -> Callable[[Column], Column]:
    """The validator a detector names: one of :data:`_NAMED`'s keys or ``digits:LOW-HIGH``.

    Detectors name their validator rather than hold the function so that the JVM scanner
    (``io.dqengine.pii.PiiScanner``) can run the same check; its Java twin must match it exactly.
    """
    if check.startswith("digits:"):
        low, high = (int(x) for x in check.removeprefix("digits:").split("-"))
        return lambda v: digit_count_between(v, low, high)
    try:
        return _NAMED[check]
    except KeyError:
        raise ValueError(f"unknown PII validator {check!r}") from None
