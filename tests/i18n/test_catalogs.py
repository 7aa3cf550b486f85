"""The shipped catalogs are complete and compiled: no untranslated or fuzzy zh-Hans entry, the
same placeholders and markup on both sides, and .mo files that match their .po files."""

import re
from pathlib import Path

import pytest

polib = pytest.importorskip("polib", reason="install the dev extra: pip install -e .[dev]")

LOCALE = Path(__file__).resolve().parents[2] / "locale"
CATALOGS = [LOCALE / "zh_Hans" / "LC_MESSAGES" / f"{d}.po" for d in ("django", "djangojs")]
PLACEHOLDER = re.compile(r"%\([a-z_0-9]+\)[sd]|%%|%[sd]")
MARKUP = re.compile(r"</?[a-z]+\b[^>]*>")


def catalog_problems(po) -> list[str]:
    problems = [f"untranslated: {e.msgid!r}" for e in po.untranslated_entries()]
    problems += [f"fuzzy: {e.msgid!r}" for e in po.fuzzy_entries()]
    for entry in po.translated_entries():
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for source in filter(None, [entry.msgid, entry.msgid_plural]):
            for text in translations:
                if set(PLACEHOLDER.findall(source)) != set(PLACEHOLDER.findall(text)):
                    problems.append(f"placeholders differ: {entry.msgid!r}")
                if sorted(MARKUP.findall(source)) != sorted(MARKUP.findall(text)):
                    problems.append(f"markup differs: {entry.msgid!r}")
    return problems


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: p.name)
def test_zh_hans_catalog_is_complete(path):
    assert path.exists(), f"{path} is missing: run `make messages`"
    assert catalog_problems(polib.pofile(str(path))) == []


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: p.name)
def test_compiled_catalog_matches_its_source(path):
    """The .mo files are committed (no gettext needed to run the app); `make messages`
    recompiles them, and this fails when someone edits a .po without doing so."""
    mo = path.with_suffix(".mo")
    assert mo.exists(), f"{mo} is missing: run `make messages`"
    compiled = {(e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural for e in polib.mofile(str(mo))}
    source = {
        (e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural
        for e in polib.pofile(str(path)).translated_entries()
    }
    source = {k: v for k, v in source.items()}
    compiled.pop((None, ""), None)  # the header
    assert compiled == source


def test_the_checker_catches_what_it_should():
    po = polib.POFile()
    po.append(polib.POEntry(msgid="Untranslated", msgstr=""))
    po.append(polib.POEntry(msgid="Fuzzy", msgstr="模糊", flags=["fuzzy"]))
    po.append(polib.POEntry(msgid="%(n)s jobs", msgstr="任务"))
    po.append(polib.POEntry(msgid="<b>bold</b>", msgstr="粗体"))
    po.append(polib.POEntry(msgid="Fine %(n)s", msgstr="好 %(n)s"))
    problems = catalog_problems(po)
    assert problems == [
        "untranslated: 'Untranslated'",
        "fuzzy: 'Fuzzy'",
        "placeholders differ: '%(n)s jobs'",
        "markup differs: '<b>bold</b>'",
    ]
