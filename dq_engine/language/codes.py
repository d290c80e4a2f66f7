"""Language codes: every backend's labels mapped to ISO 639-1 where the language has a 2-letter code."""

from __future__ import annotations

# Deprecated 2-letter codes some models still emit (CLD2 uses the 1988 ones).
_DEPRECATED = {"iw": "he", "in": "id", "ji": "yi", "jw": "jv", "mo": "ro"}

# ISO 639-3 (and 639-2/B) -> ISO 639-1 for the languages lid218 / NLLB-style models label with 3 letters.
_ISO3_TO_1 = {
    "afr": "af", "amh": "am", "ara": "ar", "arb": "ar", "asm": "as", "aze": "az", "azj": "az", "bak": "ba",
    "bel": "be", "ben": "bn", "bod": "bo", "bos": "bs", "bre": "br", "bul": "bg", "cat": "ca", "ces": "cs",
    "cze": "cs", "cym": "cy", "wel": "cy", "dan": "da", "deu": "de", "ger": "de", "ell": "el", "gre": "el",
    "eng": "en", "epo": "eo", "est": "et", "ekk": "et", "eus": "eu", "baq": "eu", "fao": "fo", "fas": "fa",
    "pes": "fa", "per": "fa", "fin": "fi", "fra": "fr", "fre": "fr", "fry": "fy", "gle": "ga", "gla": "gd",
    "glg": "gl", "guj": "gu", "hat": "ht", "hau": "ha", "heb": "he", "hin": "hi", "hrv": "hr", "hun": "hu",
    "hye": "hy", "arm": "hy", "ibo": "ig", "ind": "id", "isl": "is", "ice": "is", "ita": "it", "jav": "jv",
    "jpn": "ja", "kan": "kn", "kat": "ka", "geo": "ka", "kaz": "kk", "khm": "km", "kir": "ky", "kor": "ko",
    "kur": "ku", "kmr": "ku", "lao": "lo", "lat": "la", "lav": "lv", "lvs": "lv", "lit": "lt", "ltz": "lb",
    "mal": "ml", "mar": "mr", "mkd": "mk", "mac": "mk", "mlg": "mg", "plt": "mg", "mlt": "mt", "mon": "mn",
    "khk": "mn", "mri": "mi", "mao": "mi", "msa": "ms", "zsm": "ms", "may": "ms", "mya": "my", "bur": "my",
    "nep": "ne", "npi": "ne", "nld": "nl", "dut": "nl", "nno": "nn", "nob": "nb", "nor": "no", "oci": "oc",
    "ori": "or", "ory": "or", "pan": "pa", "pol": "pl", "por": "pt", "pus": "ps", "pbt": "ps", "ron": "ro",
    "rum": "ro", "rus": "ru", "sin": "si", "slk": "sk", "slo": "sk", "slv": "sl", "smo": "sm", "sna": "sn",
    "snd": "sd", "som": "so", "spa": "es", "sqi": "sq", "als": "sq", "alb": "sq", "srp": "sr", "sun": "su",
    "swa": "sw", "swh": "sw", "swe": "sv", "tam": "ta", "tat": "tt", "tel": "te", "tgk": "tg", "tgl": "tl",
    "fil": "tl", "tha": "th", "tir": "ti", "tuk": "tk", "tur": "tr", "uig": "ug", "ukr": "uk", "urd": "ur",
    "uzb": "uz", "uzn": "uz", "vie": "vi", "xho": "xh", "yid": "yi", "ydd": "yi", "yor": "yo", "zho": "zh",
    "chi": "zh", "cmn": "zh", "yue": "zh", "zul": "zu",
}  # fmt: skip


def to_iso639_1(label: str) -> str:
    """``de`` -> ``de``; ``deu_Latn`` / ``deu`` -> ``de``; ``zh-Hant`` -> ``zh``; ``iw`` -> ``he``.

    Codes of languages without a 2-letter code (``ceb``, ``arz``) are returned lower-cased as they are.
    """
    code = label.strip().replace("-", "_").split("_")[0].lower()
    code = _DEPRECATED.get(code, code)
    return _ISO3_TO_1.get(code, code)
