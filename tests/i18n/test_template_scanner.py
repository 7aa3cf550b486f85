"""Every template's user-visible text goes through a translation tag; the scanner that checks
this finds what it should and ignores what it should."""

from pathlib import Path

import pytest

from tests.i18n.template_scanner import scan_file, scan_source, template_files, wrap

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_no_template_has_untranslated_text():
    findings = [str(f) for path in template_files([TEMPLATES]) for f in scan_file(path)]
    assert findings == [], "wrap these in {% translate %} / {% blocktranslate %}:\n" + "\n".join(
        findings
    )


@pytest.mark.parametrize(
    "source,found",
    [
        ("<p>Hello world</p>", ["Hello world"]),
        ('<img alt="A robot" src="x.png">', ["A robot"]),
        ('<input placeholder="Search jobs">', ["Search jobs"]),
        ('<button title="Copy the key" aria-label="Copy">⧉</button>', ["Copy the key", "Copy"]),
        ('<input type="submit" value="Save">', ["Save"]),
        ("<p>{{ n }} credits left</p>", ["credits left"]),
        ("<p>{% if x %}Queued{% endif %}</p>", ["Queued"]),
        ("<p>你好</p>", ["你好"]),
    ],
)
def test_finds_visible_text(source, found):
    assert [f.text.strip() for f in scan_source(source)] == found


@pytest.mark.parametrize(
    "source",
    [
        '{% load i18n %}<p>{% translate "Hello world" %}</p>',
        "{% load i18n %}<p>{% blocktranslate %}{{ n }} credits left{% endblocktranslate %}</p>",
        "<p>{{ job.description }}</p>",
        "<p>42 · 3.5 — …</p>",
        '<a class="button primary" href="/x/" id="go">{{ label }}</a>',
        '<input type="hidden" name="next" value="dashboard">',
        "<script>var x = 'Not shown';</script><style>.a{content:'x'}</style>",
        "<code>curl -H Authorization</code><pre>export KEY=abc</pre>",
        "{# a comment #}{% comment %}Hidden text{% endcomment %}<!-- html comment -->",
        "<span>AvatarSaaS · API · 512 px</span>",
        "<p>&rarr; &amp; &nbsp;</p>",
    ],
)
def test_ignores_what_is_not_prose(source):
    assert scan_source(source) == []


def test_fix_wraps_whole_phrases_and_leaves_fragments_next_to_variables():
    source = '<h1>Design an avatar</h1><p title="Your balance">{{ n }} credits</p>'
    fixed = wrap(source, scan_source(source))
    assert '<h1>{% translate "Design an avatar" %}</h1>' in fixed
    assert 'title="{% translate "Your balance" %}"' in fixed
    assert "{{ n }} credits" in fixed  # needs a blocktranslate written by hand
    assert [f.text.strip() for f in scan_source(fixed)] == ["credits"]
