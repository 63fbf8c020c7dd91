"""JSON with comments (the profiles file): comments outside strings go, positions stay."""

from __future__ import annotations

import pytest

from deployer.request import jsontext


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": 1} // end', {"a": 1}),
        ('{"a": /* one */ 1}', {"a": 1}),
        ('{\n  // a group\n  "a": 1\n}', {"a": 1}),
        ('{"a": "http://x/*y*/"}', {"a": "http://x/*y*/"}),  # inside a string: text
        ('{"a": "\\"//"} // "', {"a": '"//'}),  # an escaped quote does not end the string
        ('{"a": "\\\\"} // a backslash, then the string ends', {"a": "\\"}),
        ("/* multi\nline */ [1]", [1]),
    ],
)
def test_comments_outside_strings_are_ignored(text: str, expected: object) -> None:
    assert jsontext.loads_with_comments(text) == expected


def test_a_syntax_error_keeps_the_line_of_the_text_with_its_comments() -> None:
    text = '{\n  /* two\n  lines */\n  "a": 1 // one\n  "b": 2\n}'
    with pytest.raises(jsontext.JsonRefused) as refused:
        jsontext.loads_with_comments(text, "(profiles)")
    (problem,) = refused.value.problems
    assert problem.path == "(profiles)"
    assert "line 5 column 3" in problem.message


def test_a_comment_that_never_ends_names_its_line() -> None:
    with pytest.raises(jsontext.JsonRefused) as refused:
        jsontext.loads_with_comments('{\n"a": 1 /* open', "(profiles)")
    assert str(refused.value) == "(profiles): line 2: a /* comment never ends"


def test_trailing_commas_are_still_refused() -> None:
    with pytest.raises(jsontext.JsonRefused):
        jsontext.loads_with_comments('{"a": 1,}')
