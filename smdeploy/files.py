"""The one reader of the files the command line is given (requests and profiles).

Every command that reads a file (``validate``, ``local``, ``plan``, ``start``, ``--profiles``)
reads it here, under one set of rules:

- only a regular file (a FIFO would block, ``/dev/zero`` never ends): anything else is
  refused before a byte is read;
- at most :data:`MAX_BYTES`, the Step Functions payload limit (a request larger than that
  could never be an execution's input: https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html);
- JSON as :mod:`deployer.request.jsontext` accepts it: UTF-8 (a UTF-8 byte order mark is ignored;
  UTF-16 and UTF-32 refused), no repeated keys, at most ``MAX_DEPTH`` levels of nesting, no
  lone surrogates, no ``NaN``.

A file that cannot be read is :class:`Unreadable` (misuse: exit 2); one that was read but is
not JSON by these rules is :class:`NotJson` (an invalid input: exit 1). Either says which file
and why; neither shows a Python error name.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Any

from deployer.request import jsontext
from deployer.request.deployment import MAX_PAYLOAD_BYTES

MAX_BYTES = MAX_PAYLOAD_BYTES


class FileRefused(Exception):
    """A file the command line will not use; ``lines`` say why, each naming the file."""

    exit_code = 2

    def __init__(self, lines: list[str]) -> None:
        super().__init__("; ".join(lines))
        self.lines = lines


class Unreadable(FileRefused):
    """Missing, not a regular file, not permitted."""

    exit_code = 2


class NotJson(FileRefused):
    """Too large, or not JSON by the rules above; ``problems`` say why, path first."""

    exit_code = 1

    def __init__(self, lines: list[str], problems: list[jsontext.JsonProblem]) -> None:
        super().__init__(lines)
        self.problems = problems


_WHY = {
    errno.ENOENT: "no such file",
    errno.EACCES: "permission denied",
    errno.EISDIR: "is a directory, not a file",
    errno.ENOTDIR: "a part of the path is not a directory",
    errno.ELOOP: "too many symbolic links",
    errno.ENAMETOOLONG: "the name is too long",
}


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_bytes(path: Path, what: str = "request") -> bytes:
    """The bytes of the regular file ``path``, at most :data:`MAX_BYTES` of them."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; checked right after.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as error:
        why = _WHY.get(error.errno or 0, error.strerror or "cannot be opened")
        raise Unreadable([f"{path}: cannot read the {what}: {why}"]) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Unreadable(
                [f"{path}: cannot read the {what}: it is {_kind(info.st_mode)}; give a file"]
            )
        if info.st_size > MAX_BYTES:
            raise _too_large(path, what, info.st_size)
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_BYTES:
            chunk = os.read(fd, MAX_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as error:
        why = _WHY.get(error.errno or 0, error.strerror or "read failed")
        raise Unreadable([f"{path}: cannot read the {what}: {why}"]) from None
    finally:
        os.close(fd)
    if size > MAX_BYTES:  # it grew while being read
        raise _too_large(path, what, size)
    return b"".join(chunks)


def _too_large(path: Path, what: str, size: int) -> NotJson:
    problem = jsontext.JsonProblem(
        f"({what})",
        "payload-size",
        f"the file is {size:,} bytes or more; smdeploy reads at most {MAX_BYTES:,} bytes "
        "(256 KiB, the Step Functions payload limit)",
    )
    return NotJson([f"{path}: {problem}"], [problem])


def read_json(path: Path, what: str = "request", *, comments: bool = False) -> Any:
    """The JSON value in ``path`` (see the module's rules); with ``comments``, JSON with
    ``//`` and ``/* */`` comments (the profiles file, as ``cdk synth`` reads it)."""
    root = f"({what})"
    data = read_bytes(path, what)
    try:
        if comments:
            return jsontext.loads_with_comments(data, root)
        return jsontext.loads(data, root)
    except jsontext.JsonRefused as refused:
        lines = [f"{path}: {problem}" for problem in refused.problems]
        raise NotJson(lines, refused.problems) from None
