"""Each structured detector on true positives and on the hard negatives it must leave alone.

All cases run through one ``find_pii`` query per engine (planning the full SQL detector set costs
seconds, so the module shares one result per engine): the reference SQL expressions and the Java
scanner must both pass every case.
"""

# ruff: noqa: E501  (case tables read better one per line)
from __future__ import annotations

import pytest
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from dq_engine.pii.detectors import DETECTORS, TYPES, find_pii
from dq_engine.pii.maskers import apply_masks

# (text, expected findings as (type, value)); values must appear verbatim in the text
POSITIVES: list[tuple[str, list[tuple[str, str]]]] = [
    ("Mail john.doe@example.com today", [("EMAIL", "john.doe@example.com")]),
    ("écrivez à marie+news@mail.exemple.fr.", [("EMAIL", "marie+news@mail.exemple.fr")]),
    ("call (212) 555-0147 or 212.555.0199", [("PHONE", "(212) 555-0147"), ("PHONE", "212.555.0199")]),
    ("tel +49 30 12345678 / +44 (0)113 496 0000", [("PHONE", "+49 30 12345678"), ("PHONE", "+44 (0)113 496 0000")]),
    ("UK 020 7946 0958, FR 01 23 45 67 89", [("PHONE", "020 7946 0958"), ("PHONE", "01 23 45 67 89")]),
    ("DE 089/1234567 JP 03-1234-5678", [("PHONE", "089/1234567"), ("PHONE", "03-1234-5678")]),
    ("IN +91 98765 43210 BR +55 11 91234-5678", [("PHONE", "+91 98765 43210"), ("PHONE", "+55 11 91234-5678")]),
    ("from 192.168.1.20 and 8.8.8.8.", [("IPV4", "192.168.1.20"), ("IPV4", "8.8.8.8")]),
    ("v6 2001:db8::8a2e:370:7334 and fe80:0:0:0:202:b3ff:fe1e:8329",
     [("IPV6", "2001:db8::8a2e:370:7334"), ("IPV6", "fe80:0:0:0:202:b3ff:fe1e:8329")]),
    ("card 4111 1111 1111 1111 / 5500-0000-0000-0004", [("CREDIT_CARD", "4111 1111 1111 1111"),
                                                       ("CREDIT_CARD", "5500-0000-0000-0004")]),
    ("amex 3782 822463 10005 visa 4012888888881881", [("CREDIT_CARD", "3782 822463 10005"),
                                                      ("CREDIT_CARD", "4012888888881881")]),
    ("IBAN GB82 WEST 1234 5698 7654 32 or DE89370400440532013000",
     [("IBAN", "GB82 WEST 1234 5698 7654 32"), ("IBAN", "DE89370400440532013000")]),
    ("FR1420041010050500013M02606 ok", [("IBAN", "FR1420041010050500013M02606")]),
    ("SSN 123-45-6789 or 078 05 1120", [("US_SSN", "123-45-6789"), ("US_SSN", "078 05 1120")]),
    ("key AKIAIOSFODNN7EXAMPLE", [("AWS_ACCESS_KEY", "AKIAIOSFODNN7EXAMPLE")]),
    ("gh ghp_abcdefghijklmnopqrstuvwxyz0123456789", [("GITHUB_TOKEN", "ghp_abcdefghijklmnopqrstuvwxyz0123456789")]),
    ("gl glpat-abcdefghij1234567890", [("GITLAB_TOKEN", "glpat-abcdefghij1234567890")]),
    ("slack xoxb-123456789012-abcdefABCDEF", [("SLACK_TOKEN", "xoxb-123456789012-abcdefABCDEF")]),
    ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
     [("JWT", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U")]),
    ("k -----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA+/abc\nxyz==\n-----END RSA PRIVATE KEY----- end",
     [("PRIVATE_KEY", "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA+/abc\nxyz==\n-----END RSA PRIVATE KEY-----")]),
    ("db postgres://bob:S3cretPw9x@db.example.com/app", [("URL_PASSWORD", "S3cretPw9x")]),
    ("api_key=9fK2xLq81ZpQwE and password: \"Tr0ub4dor&3x\"", [("SECRET", "9fK2xLq81ZpQwE"),
                                                             ("SECRET", "Tr0ub4dor&3x")]),
    ("born on 12/03/1985 and DOB: March 5, 1980", [("DATE_OF_BIRTH", "12/03/1985"),
                                                   ("DATE_OF_BIRTH", "March 5, 1980")]),
    ("geboren am 03.04.1977 in Köln", [("DATE_OF_BIRTH", "03.04.1977")]),
    ("ship to 221 Baker Street and Hauptstraße 5", [("STREET_ADDRESS", "221 Baker Street"),
                                                    ("STREET_ADDRESS", "Hauptstraße 5")]),
    ("at 1600 Pennsylvania Avenue, Apt. 4 now", [("STREET_ADDRESS", "1600 Pennsylvania Avenue, Apt. 4")]),
]  # fmt: skip

# texts in which nothing may be found
NEGATIVES: list[str] = [
    "Upgrade to v2.3.1 or version 10.0.1.5 (build 3.11.4).",
    "Windows 10.0.19045.3693 shipped.",
    "Order ORD-2024-000123 and #A12345678 and INV/2024/00042.",
    "ISBN 978-3-16-148410-0 and ISBN 0-306-40615-2.",
    "At 2024-03-15 14:22:01 and 2023-11-02T08:15:30Z.",
    "sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 md5 d41d8cd98f00b204e9800998ecf8427e",
    "id 550e8400-e29b-41d4-a716-446655440000",
    "Luhn fails: 4111 1111 1111 1112 and 1234567890123456.",
    "Bad IBAN GB83 WEST 1234 5698 7654 32 and DE00370400440532013000.",
    "Invalid SSNs 000-12-3456, 666-12-3456, 912-34-5678, 123-00-4567.",
    "Not IPs: 999.12.3.4, 1.2.3, 256.1.1.1.",
    "MAC 00:1A:2B:3C:4D:5E at 12:30:45 and std::vector.",
    "Price $1,234.56 for 12345 units, ref 20240315, 7 digits 1234567.",
    "The token count = 12345 and password: ******** and api_key=YOUR_API_KEY.",
    "Founded on 12/03/1985 in Ohio.",
    "Chapter 12 Main findings and 3 Little Pigs.",
    "",
]


@pytest.fixture(scope="module", params=["sql", "jvm"])
def found(spark: SparkSession, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    texts = [t for t, _ in POSITIVES] + NEGATIVES + [None]
    df = spark.createDataFrame([(str(i), t) for i, t in enumerate(texts)], "doc_id string, text string")
    out = find_pii(df, "text", "f", engine=request.param).withColumn(
        "masked", apply_masks(F.col("text"), F.col("f"), {}, "placeholder", None)
    )
    rows = {r["doc_id"]: r for r in out.collect()}
    return [rows[str(i)] for i in range(len(texts))]


def test_every_type_has_a_positive_case() -> None:
    assert {t for _, exp in POSITIVES for t, _ in exp} == set(TYPES)
    assert len({d.name for d in DETECTORS}) == len(DETECTORS)


@pytest.mark.parametrize("i", range(len(POSITIVES)))
def test_true_positives(found, i: int) -> None:  # type: ignore[no-untyped-def]
    text, expected = POSITIVES[i]
    row = found[i]
    got = [(f["type"], f["value"]) for f in row["f"]]
    assert got == expected, text
    for f in row["f"]:
        # offsets are exact: the value is the text at [start, end)
        assert text[f["start"] : f["end"]] == f["value"]
        assert f["value"] not in row["masked"]
        assert f"<{f['type']}>" in row["masked"]


@pytest.mark.parametrize("i", range(len(NEGATIVES)))
def test_hard_negatives_untouched(found, i: int) -> None:  # type: ignore[no-untyped-def]
    row = found[len(POSITIVES) + i]
    assert [(f["type"], f["value"]) for f in row["f"]] == []
    assert row["masked"] == NEGATIVES[i]


def test_null_text_gives_no_findings(found) -> None:  # type: ignore[no-untyped-def]
    row = found[-1]
    assert row["f"] == [] and row["masked"] is None
