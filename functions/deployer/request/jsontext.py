"""JSON as the deployer accepts it: one rule for every door (the validator, the command line's
files, the profiles).

- Text is UTF-8 (RFC 8259, section 8.1: https://www.rfc-editor.org/rfc/rfc8259#section-8.1).
  A UTF-8 byte order mark is ignored, as the RFC allows; UTF-16 and UTF-32 are refused with a
  message that says so (they are not what Step Functions or S3 manifests carry).
- ``NaN`` and ``Infinity`` are not JSON numbers; an object may not repeat a key (RFC 8259
  leaves the meaning undefined; Python keeps the last one silently): the path is named.
- Values nest at most :data:`MAX_DEPTH` levels (the deepest request field is about eight).
- Strings are Unicode text: a lone UTF-16 surrogate (``"\\ud800"``), which JSON's escapes
  can spell but no UTF-8 text can carry, is refused with its path.

:func:`loads` decodes and checks; :func:`problems` checks a value already decoded (an
execution input that Step Functions parsed). Pure: no AWS, no I/O.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from deployer.request.violations import REQUEST_PATH, join, join_key

MAX_DEPTH = 32
_SURROGATE = re.compile("[\ud800-\udfff]")
_UTF16_32 = (
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\xfe\xff", "UTF-16"),
    (b"\xff\xfe", "UTF-16"),
)
UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class JsonProblem:
    """Why a JSON text or value is refused: ``path`` (``(request)`` for the whole text),
    ``rule`` (``encoding``, ``json``, ``duplicate-key``, ``depth``, ``unicode``), ``message``."""

    path: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class JsonRefused(ValueError):
    """The text is not JSON as the deployer accepts it; ``problems`` says why (at least one);
    ``value`` is what it decoded to, when it is JSON at all (else None)."""

    def __init__(self, problems: list[JsonProblem], value: Any = None) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems
        self.value = value


class _Duplicated(dict[str, Any]):
    """An object that repeated a key (the keys, in order); reported with its path later."""

    repeated: tuple[str, ...] = ()


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    repeated: list[str] = []
    for key, value in pairs:
        if key in result and key not in repeated:
            repeated.append(key)
        result[key] = value
    if not repeated:
        return result
    marked = _Duplicated(result)
    marked.repeated = tuple(repeated)
    return marked


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def text_of(data: bytes, root: str = REQUEST_PATH) -> str:
    """The UTF-8 text of ``data`` (a UTF-8 byte order mark dropped), or JsonRefused."""
    for mark, encoding in _UTF16_32:
        if data.startswith(mark):
            what = f"is {encoding} text (it starts with a byte order mark)"
            raise JsonRefused([_encoding(root, what)])
    if len(data) >= 2 and (data[0] == 0 or data[1] == 0):
        raise JsonRefused([_encoding(root, "is UTF-16 or UTF-32 text (it has NUL bytes)")])
    try:
        return data.removeprefix(UTF8_BOM).decode("utf-8")
    except UnicodeDecodeError as error:
        bad = data[error.start : error.start + 1].hex()
        raise JsonRefused(
            [_encoding(root, f"is not UTF-8 text: byte 0x{bad} at offset {error.start}")]
        ) from None


def _encoding(root: str, what: str) -> JsonProblem:
    return JsonProblem(root, "encoding", f"{what}; JSON is read as UTF-8 only (save it as UTF-8)")


def loads(data: str | bytes | bytearray, root: str = REQUEST_PATH) -> Any:
    """Decode ``data`` and check it (see the module); raise JsonRefused with every problem."""
    text = text_of(bytes(data), root) if isinstance(data, bytes | bytearray) else data
    try:
        value = json.loads(text, object_pairs_hook=_pairs, parse_constant=_reject_constant)
    except RecursionError:
        raise JsonRefused(
            [JsonProblem(root, "depth", f"nests more than {MAX_DEPTH} levels deep")]
        ) from None
    except ValueError as error:
        raise JsonRefused([JsonProblem(root, "json", f"is not valid JSON: {error}")]) from None
    found = problems(value, root)
    if found:
        raise JsonRefused(found, value)
    return value


def problems(value: Any, root: str = REQUEST_PATH) -> list[JsonProblem]:
    """Every repeated key, lone surrogate and too-deep value in ``value``, in document order.

    Iterative, so no nesting can exhaust the stack; below :data:`MAX_DEPTH` it stops looking.
    """
    found: list[JsonProblem] = []
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        item, path, depth = stack.pop()
        where = path or root
        if isinstance(item, str):
            _unicode(item, where, found)
            continue
        if not isinstance(item, dict | list):
            continue
        if depth >= MAX_DEPTH:
            found.append(
                JsonProblem(where, "depth", f"nests more than {MAX_DEPTH} levels deep here")
            )
            continue
        children: list[tuple[Any, str, int]] = []
        if isinstance(item, dict):
            for key in getattr(item, "repeated", ()):
                found.append(
                    JsonProblem(
                        join_key(path, key) if _SURROGATE.search(key) is None else where,
                        "duplicate-key",
                        "is given more than once in the same object (each key once: which "
                        "value would count is undefined)",
                    )
                )
            for key, child in item.items():
                name = key if isinstance(key, str) else str(key)  # a parsed value may have any
                if _SURROGATE.search(name):
                    _unicode(name, where, found, what="a key")
                    continue
                children.append((child, join_key(path, name), depth + 1))
        else:
            children = [(child, join(path, i), depth + 1) for i, child in enumerate(item)]
        stack.extend(reversed(children))
    return found


def _unicode(text: str, where: str, found: list[JsonProblem], what: str = "the value") -> None:
    match = _SURROGATE.search(text)
    if match is not None:
        found.append(
            JsonProblem(
                where,
                "unicode",
                f"{what} holds a lone UTF-16 surrogate (U+{ord(match.group()):04X} at "
                f"character {match.start()}), which is not Unicode text: AWS cannot carry it",
            )
        )


def without_comments(text: str, root: str = REQUEST_PATH) -> str:
    """``text`` with its ``//`` and ``/* */`` comments (outside strings) turned into spaces,
    line breaks kept: JSON's own error positions (line, column) stay those of ``text``.

    JSON with comments, as editors read settings files ("JSONC"); nothing else of JSON5
    (trailing commas, single quotes) is accepted. Raises JsonRefused for a ``/*`` that never
    ends, naming its line.
    """
    out: list[str] = []
    i, size = 0, len(text)
    in_string = False
    while i < size:
        char = text[i]
        if in_string:
            out.append(char)
            if char == "\\" and i + 1 < size:
                out.append(text[i + 1])
                i += 2
                continue
            in_string = char != '"'
            i += 1
            continue
        pair = text[i : i + 2]
        if pair == "//":
            end = text.find("\n", i)
            end = size if end < 0 else end
            out.append(" " * (end - i))
            i = end
        elif pair == "/*":
            end = text.find("*/", i + 2)
            if end < 0:
                line = text.count("\n", 0, i) + 1
                raise JsonRefused(
                    [JsonProblem(root, "json", f"line {line}: a /* comment never ends")]
                )
            comment = text[i : end + 2]
            out.append(re.sub(r"[^\n]", " ", comment))
            i = end + 2
        else:
            in_string = char == '"'
            out.append(char)
            i += 1
    return "".join(out)


def loads_with_comments(data: str | bytes | bytearray, root: str = REQUEST_PATH) -> Any:
    """:func:`loads` for JSON with ``//`` and ``/* */`` comments (:func:`without_comments`)."""
    text = text_of(bytes(data), root) if isinstance(data, bytes | bytearray) else data
    return loads(without_comments(text, root), root)
