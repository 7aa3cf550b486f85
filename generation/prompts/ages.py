"""Ages written as numbers or decades ("5-year-old", "in her 40s", "late seventies", "三十多岁")
-> the attribute vocabulary's age groups."""

from __future__ import annotations

import re

from generation.prompts import chinese

_DECADES = {"teens": 15, "twenties": 25, "thirties": 35, "forties": 45, "fifties": 55,
            "sixties": 65, "seventies": 75, "eighties": 85, "nineties": 95}  # fmt: skip
AGE_RE = re.compile(
    r"(?P<n>\d{1,3})\s*-?\s*(?:years?|yrs?|yo\b|y/o)(?:\s*-?\s*olds?)?"
    r"|(?:early|mid|late)?[\s-]*(?P<d>\d0)'?s\b"
    r"|(?:early|mid|late)?[\s-]*(?P<w>" + "|".join(_DECADES) + r")\b"
    r"|(?P<i>\d{2})\s*-?\s*ish\b"
    r"|(?P<z>[0-9零一二两三四五六七八九十百]+)\s*多?\s*(?:周岁|岁)(?:左右)?"
)


def age_value(match: re.Match) -> str | None:
    if match["n"] or match["i"] or match["d"]:
        years = int(match["n"] or match["i"] or match["d"])
    elif match["w"]:
        years = _DECADES[match["w"]]
    else:
        years = chinese.chinese_number(match["z"].strip())
    if years is None or years > 120:
        return None
    if years < 13:
        return "child"
    if years < 30:
        return "young"
    return "adult" if years < 60 else "elderly"
