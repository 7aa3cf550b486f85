"""Find user-visible text in Django templates that no translation tag wraps.

A template is read with Django's own lexer; template tags and variables become boundaries, and
the HTML in between is walked by a small state machine. Reported: text between tags and the
human-readable attributes (title, placeholder, aria-label, alt, ...) that still contain a letter
once entities, punctuation, numbers and the allow-list are removed. Text inside
{% blocktranslate %}, {% comment %}, <script>, <style> and HTML comments is not user-visible
prose for this purpose.

    python -m tests.i18n.template_scanner templates/            # list findings, exit 1 if any
    python -m tests.i18n.template_scanner --fix templates/x.html  # wrap the easy ones

--fix wraps a finding in {% translate %} only when it is a whole phrase (no {{ variable }} right
next to it); the rest need a {% blocktranslate %} written by hand and are still listed.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from django.template.base import DebugLexer, TokenType

HUMAN_ATTRS = {
    "title",
    "placeholder",
    "aria-label",
    "aria-description",
    "aria-roledescription",
    "aria-valuetext",
    "alt",
    "label",
    "data-confirm",
    "data-label",
    "value:submit",  # the value of <input type=submit|button>, see _is_button_value
}
# Words that read the same in every language the product speaks: names and units.
ALLOWED = {
    "AvatarSaaS",
    "API",
    "CLIP",
    "CFG",
    "LoRA",
    "ControlNet",
    "JSON",
    "PNG",
    "WebP",
    "ZIP",
    "SVG",
    "URL",
    "curl",
    "Python",
    "Stripe",
    "px",
    "cr",
    "sha256",
    "HMAC",
    "safetensors",
    "UTC",
    "v",
    "s",
    "SHA",
    "English",
    "简体中文",
    "Bearer",
    "Authorization",
}
SKIP_BLOCKS = {
    "blocktranslate": "endblocktranslate",
    "blocktrans": "endblocktrans",
    "comment": "endcomment",
    "verbatim": "endverbatim",
}
RAW_TAGS = {"script", "style", "pre", "code", "textarea"}
ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|\w+);")
WORD = re.compile(r"[^\W\d_][\w'’.-]*", re.UNICODE)


@dataclass
class Finding:
    path: str
    line: int
    text: str
    where: str  # "text" or the attribute name
    start: int  # offset in the template source
    end: int
    fixable: bool

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.where}: {self.text.strip()!r}"


def visible_words(text: str) -> list[str]:
    text = ENTITY.sub(" ", text)
    return [w for w in WORD.findall(text) if w.strip(".'’-") not in ALLOWED]


class _Walker:
    """Character-level HTML state machine fed one template TEXT token at a time."""

    def __init__(self, source: str, path: str):
        self.source = source
        self.path = path
        self.findings: list[Finding] = []
        self.state = "data"
        self.tag = ""
        self.attr = ""
        self.quote = ""
        self.raw_until = ""
        self.attrs_in_tag: dict[str, str] = {}
        self.run_start: int | None = None
        self.run_prev = "start"

    # A run of candidate text is closed by markup, a template token or the end of a value.
    def _open_run(self, pos: int, prev: str) -> None:
        if self.run_start is None:
            self.run_start, self.run_prev = pos, prev

    def close_run(self, end: int, nxt: str) -> None:
        if self.run_start is None:
            return
        start, prev = self.run_start, self.run_prev
        self.run_start = None
        text = self.source[start:end]
        if not visible_words(text):
            return
        where = "text" if self.state == "data" else self.attr
        line = self.source.count("\n", 0, start) + 1
        fixable = prev != "var" and nxt != "var" and not (text.strip().startswith(("'", '"')))
        self.findings.append(Finding(self.path, line, text, where, start, end, fixable))

    def boundary(self, kind: str, pos: int) -> None:
        """A template tag or variable at `pos`; `kind` is "var" or "block"."""
        if self.run_start is not None:
            self.close_run(pos, kind)
            self.run_prev = kind

    def _collecting(self) -> bool:
        if self.state == "data":
            return True
        if self.state == "value":
            return self.attr in HUMAN_ATTRS or (
                self.attr == "value" and self.tag == "input" and self._is_button_value()
            )
        return False

    def _is_button_value(self) -> bool:
        return self.attrs_in_tag.get("type", "").lower() in {"submit", "button", "reset"}

    def feed(self, text: str, offset: int, prev: str) -> None:
        i = 0
        n = len(text)
        while i < n:
            c = text[i]
            pos = offset + i
            st = self.state
            if st == "raw":
                if text.startswith(self.raw_until, i) or text.lower().startswith(self.raw_until, i):
                    self.state = "data"
                    continue
                i += 1
                continue
            if st == "comment":
                if text.startswith("-->", i):
                    self.state = "data"
                    i += 3
                    continue
                i += 1
                continue
            if st == "data":
                if c == "<":
                    self.close_run(pos, "tag")
                    if text.startswith("<!--", i):
                        self.state = "comment"
                        i += 4
                        continue
                    self.state, self.tag, self.attrs_in_tag = "tagname", "", {}
                    i += 1
                    continue
                if self.run_start is None and not c.isspace():
                    self._open_run(pos, prev if not text[:i].strip() else "tag")
                i += 1
                continue
            if st == "tagname":
                if c.isspace() or c in "/>":
                    self.state = "intag"
                    continue
                self.tag += c.lower()
                i += 1
                continue
            if st == "intag":
                if c == ">":
                    self._end_tag()
                elif not c.isspace() and c != "/":
                    self.state, self.attr = "attrname", c.lower()
                i += 1
                continue
            if st == "attrname":
                if c == "=":
                    self.state = "beforevalue"
                elif c == ">":
                    self._end_tag()
                elif c.isspace():
                    self.state = "intag"
                else:
                    self.attr += c.lower()
                i += 1
                continue
            if st == "beforevalue":
                if c in "\"'":
                    self.state, self.quote = "value", c
                    self.attrs_in_tag[self.attr] = ""
                elif not c.isspace():
                    self.state, self.quote = "value", ""
                    continue
                i += 1
                continue
            if st == "value":
                end_here = (c == self.quote) if self.quote else (c.isspace() or c == ">")
                if end_here:
                    self.close_run(pos, "tag")
                    self.state = "intag"
                    i += 1 if self.quote else 0
                    continue
                self.attrs_in_tag[self.attr] = self.attrs_in_tag.get(self.attr, "") + c
                if self._collecting() and self.run_start is None and not c.isspace():
                    self._open_run(pos, prev if not text[:i].strip() else "tag")
                i += 1
                continue
            i += 1

    def _end_tag(self) -> None:
        self.state = "data"
        if self.tag in RAW_TAGS:
            self.state, self.raw_until = "raw", f"</{self.tag}"


def scan_source(source: str, path: str = "<string>") -> list[Finding]:
    walker = _Walker(source, path)
    skip_until: str | None = None
    prev = "start"
    for token in DebugLexer(source).tokenize():
        start, end = token.position
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0] if token.contents.split() else ""
            if skip_until:
                if name == skip_until:
                    skip_until = None
                continue
            if name in SKIP_BLOCKS:
                skip_until = SKIP_BLOCKS[name]
            walker.boundary("block", start)
            prev = "block"
        elif token.token_type == TokenType.VAR:
            if not skip_until:
                walker.boundary("var", start)
                prev = "var"
        elif token.token_type == TokenType.TEXT:
            if not skip_until:
                walker.feed(token.contents, start, prev)
        # comments ({# #}) are not visible
    walker.close_run(len(source), "end")
    return walker.findings


def scan_file(path: Path) -> list[Finding]:
    return scan_source(path.read_text(encoding="utf-8"), str(path))


def template_files(roots: list[Path]) -> list[Path]:
    files: list[Path] = []
    for root in roots:
        files.extend(sorted(root.rglob("*.html")) if root.is_dir() else [root])
    return files


def wrap(source: str, findings: list[Finding]) -> str:
    """Wrap each fixable finding in {% translate %}, keeping the whitespace around it."""
    for f in sorted((f for f in findings if f.fixable), key=lambda f: f.start, reverse=True):
        text = source[f.start : f.end]
        core = text.strip()
        if ('"' in core and "'" in core) or "\n" in core:  # a tag cannot span lines
            continue
        q = "'" if '"' in core else '"'
        lead = text[: len(text) - len(text.lstrip())]
        trail = text[len(text.rstrip()) :]
        tag = f"{{% translate {q}{core}{q} %}}"
        source = source[: f.start] + lead + tag + trail + source[f.end :]
    return source


def main(argv: list[str]) -> int:
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure()
        django.setup()
    fix = "--fix" in argv
    roots = [Path(a) for a in argv if a != "--fix"] or [Path("templates")]
    total = 0
    for path in template_files(roots):
        findings = scan_file(path)
        if fix and any(f.fixable for f in findings):
            source = path.read_text(encoding="utf-8")
            needs_load = "{% load i18n" not in source and "i18n" not in source.split("\n", 1)[0]
            source = wrap(source, findings)
            if needs_load:
                source = _add_load_i18n(source)
            path.write_text(source, encoding="utf-8")
            findings = scan_file(path)
        for f in findings:
            print(f)
        total += len(findings)
    print(f"{total} untranslated string(s)", file=sys.stderr)
    return 1 if total else 0


def _add_load_i18n(source: str) -> str:
    m = re.match(r"\s*\{% extends [^%]+%\}", source)
    if m:
        return source[: m.end()] + "{% load i18n %}" + source[m.end() :]
    return "{% load i18n %}" + source


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
