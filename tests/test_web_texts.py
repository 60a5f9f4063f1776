"""The staff pages' words: Babel extracts every ``_("...")`` of a template into the catalogs
(``tests/test_i18n.py`` checks each has nl, fr and de)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from babel.util import pathmatch
from jinja2.ext import babel_extract

from gateway.edges.web.setup import TEMPLATES
from gateway.edges.web.texts import TemplateGettext
from gateway.infra.i18n import LOCALES_DIR, translate

REPO = LOCALES_DIR.parent


def jinja2_options(template: Path) -> dict[str, str] | None:
    """The options ``locales/babel.cfg`` extracts ``template`` with, or None if it does not."""
    with (LOCALES_DIR / "babel.cfg").open(encoding="utf-8") as handle:
        methods, options = parse_mapping_cfg(handle)
    relative = template.relative_to(REPO).as_posix()
    for pattern, method in methods:
        if pathmatch(pattern, relative):
            return options.get(pattern, {}) if method == "jinja2" else None
    return None


def test_every_template_is_extracted_whole_into_the_catalogs() -> None:
    """Babel's Jinja2 extractor passes over a template it cannot parse without a word; here
    such a template fails, and every text found is in the catalogs' template."""
    with (LOCALES_DIR / "messages.pot").open("rb") as handle:
        catalogued = {str(message.id) for message in read_po(handle) if message.id}
    found: set[str] = set()
    templates = sorted(TEMPLATES.rglob("*.html"))
    assert templates
    for template in templates:
        options = jinja2_options(template)
        assert options is not None, f"{template.name} is not extracted as a Jinja2 template"
        with template.open("rb") as handle:
            extracted = babel_extract(handle, DEFAULT_KEYWORDS, [], {**options, "silent": "false"})
            for _, _, texts, _ in extracted:
                text = texts[0] if isinstance(texts, tuple) else texts
                if isinstance(text, str):
                    found.add(text)
    assert "Rule {id}" in found
    assert sorted(found - catalogued) == []


def test_a_text_fills_in_its_placeholders_in_the_viewers_language() -> None:
    assert TemplateGettext("en")("Rule {id}", id="3") == "Rule 3"
    assert (
        TemplateGettext("de")("Rule {id}", id="3")
        == translate("Rule {id}", "de", id="3")
        != "Rule 3"
    )
