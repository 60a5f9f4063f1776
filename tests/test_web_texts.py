"""The staff pages' words: every ``_("...")`` of a template is marked for the catalogs in
``gateway/web/texts.py`` (``tests/test_i18n.py`` checks each has nl, fr and de)."""

from __future__ import annotations

import re

from gateway.i18n import translate
from gateway.web.setup import TEMPLATES
from gateway.web.texts import TEMPLATE_MESSAGES, Texts

LITERAL = re.compile(r'_\("((?:[^"\\]|\\.)*)"')


def template_messages() -> set[str]:
    return {
        found.group(1)
        for template in TEMPLATES.glob("*.html")
        for found in LITERAL.finditer(template.read_text(encoding="utf-8"))
    }


def test_every_text_of_the_templates_is_marked_for_the_catalogs_and_none_is_left_over() -> None:
    assert sorted(template_messages() - set(TEMPLATE_MESSAGES)) == []
    assert sorted(set(TEMPLATE_MESSAGES) - template_messages()) == []


def test_a_text_fills_in_its_placeholders_in_the_viewers_language() -> None:
    assert Texts("en")("Rule {id}", id="3") == "Rule 3"
    assert Texts("de")("Rule {id}", id="3") == translate("Rule {id}", "de", id="3") != "Rule 3"
