"""What Python's JSON parser says is wrong reaches a partner in their language, at the line
and column the parser found, whatever the body: each kind of message is a catalog message."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.contract import json_reasons
from gateway.contract.validate import parse_json
from gateway.edges.problems import problem_document
from gateway.infra.errors import MalformedBody, MalformedJson
from gateway.infra.i18n import LANGUAGES, translate

JSONISH = st.text(alphabet=st.sampled_from('{}[]:,"\\ \n\ttrufalsn0123456789.eE+-abcuXé'))


def parser_message(text: str) -> json.JSONDecodeError | None:
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        return error
    except (ValueError, RecursionError):
        return None
    return None


@given(JSONISH)
def test_every_syntax_error_is_said_by_the_catalog_at_the_parsers_line_and_column(
    text: str,
) -> None:
    expected = parser_message(text)
    if expected is None:
        return
    with pytest.raises(MalformedBody) as caught:
        parse_json(text.encode())
    if not isinstance(caught.value, MalformedJson):
        return  # nested too deeply: refused before the parser, by its own rule
    reason = caught.value.params["reason"]
    assert reason in {meant for _, meant in json_reasons.PARSER_MESSAGES} | {
        json_reasons.SYNTAX_ERROR
    }
    assert (caught.value.params["line"], caught.value.params["column"]) == (
        expected.lineno,
        expected.colno,
    )
    for language in LANGUAGES:
        detail = str(problem_document(caught.value, language=language)["detail"])
        assert translate(str(reason), language) in detail
        if language != "en":
            assert expected.msg not in detail


@pytest.mark.parametrize(
    ("body", "meant"),
    [
        (b'{"a": }', "a value was expected"),
        (b"{a: 1}", "a member name in double quotes was expected"),
        (b'{"a" 1}', "a colon (:) was expected"),
        (b"[1 2]", "a comma (,) was expected"),
        (b'"abc', "a string is not closed"),
        (b'"a\tb"', "a control character"),
        (b'"\\x"', "an invalid escape"),
        (b'"\\u12"', "an invalid \\uXXXX escape"),
        (b"1 2", "more data after the end"),
    ],
)
def test_each_kind_of_parser_message_has_its_own_sentence(body: bytes, meant: str) -> None:
    with pytest.raises(MalformedJson) as caught:
        parse_json(body)
    assert str(caught.value.params["reason"]).startswith(meant)
    french = str(problem_document(caught.value, language="fr")["detail"])
    assert french.startswith("Le corps de la requête n’est pas du JSON valide")
    assert meant not in french
