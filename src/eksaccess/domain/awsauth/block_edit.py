"""aws-auth entry edits on a key in the common form (awsauth_layout), decoding only the touched items.

In the common form every item is read by the authenticator from its own text alone, and the form itself is
proven of the whole result by re-reading only around each change (awsauth_layout.splice). So an edit that
replaces, removes or appends whole items needs to decode just the items that mention the ARN and the item it
writes: every other item keeps its bytes and hence its meaning, and the key cannot become unreadable.

Everything here answers None when it cannot prove its result this way (a key outside the common form, an
item that does not decode alone, a written entry that does not read back as asked): awsauth_edit then
takes the careful path, which reads and verifies the whole key.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from eksaccess.domain.awsauth.block_layout import FastLayout, layout, splice
from eksaccess.domain.awsauth.go_yaml import LINE_BREAKS
from eksaccess.domain.awsauth.reader import RawEntry, inspect_aws_auth


def indent(rendered: str, column: int, newline: str) -> str:
    """Lines of ``rendered`` (``\\n``-separated) moved to ``column``, each ended by ``newline``."""
    pad = " " * column
    return "".join(f"{pad}{line}{newline}" for line in rendered.split("\n"))


def edit_entries(
    text: str, key: str, arn: str, rendered: str | None, accepts: Callable[[RawEntry], bool]
) -> str | None:
    """``text`` with the entries for ``arn`` (any case) removed and ``rendered`` (an entry at column 0, or
    None) written in the first one's place, or appended when there was none; None: take the careful path.

    ``accepts`` judges the written entry as the authenticator decodes it.
    """
    target = arn.lower()
    found = layout(text) if target.isascii() and "'" not in target else None
    if found is None:
        return None
    matches: list[int] = []
    for index in _mentions(found, target):
        entry = _decode(key, found, index)
        if entry is None:
            return None
        if entry.arn.lower() == target:
            matches.append(index)
    if rendered is None and not matches:
        return text
    newline = "\r\n" if "\r\n" in text else "\n"
    edits: list[tuple[int, int, str]] = []
    written = -1  # where the written entry starts in the result
    removed = matches
    if rendered is not None:
        block = indent(rendered, found.column, newline)
        if matches:
            written, removed = found.starts[matches[0]], matches[1:]
            edits.append((written, found.ends[matches[0]], block))
        else:
            end = found.ends[-1]
            glue = "" if text[end - 1] in LINE_BREAKS else newline
            written = end + len(glue)
            edits.append((end, end, glue + block))
    edits += [(span.lead, span.end, "") for span in (found.span(i) for i in removed)]
    result: FastLayout | None = found
    for start, end, replacement in sorted(edits, reverse=True):  # later edits first: offsets stay valid
        result = splice(result, start, end, replacement) if result is not None else None
    if result is None:
        return None
    if rendered is not None:
        item = result.item_at(written)
        entry = _decode(key, result, item) if item is not None else None
        if entry is None or entry.arn.lower() != target or not accepts(entry):
            return None
    return result.text


def _mentions(found: FastLayout, target: str) -> list[int]:
    """The items whose text holds ``target`` in any case: in the common form a value is written literally,
    so every entry whose ARN lower-cases to ``target`` is among them (quotes' ``''`` aside: not in ARNs)."""
    text = found.text
    if text.isascii():
        lowered = text.lower()
        offsets = []
        at = lowered.find(target)
        while at >= 0:
            offsets.append(at)
            at = lowered.find(target, at + 1)
    else:  # re's case-insensitive match also pairs the Kelvin sign with k, as str.lower does
        offsets = [m.start() for m in re.finditer(re.escape(target), text, re.IGNORECASE)]
    return sorted({i for at in offsets if (i := found.item_at(at)) is not None})


def _decode(key: str, found: FastLayout, index: int) -> RawEntry | None:
    """The item's entry as the authenticator decodes it, from the item's own text."""
    report = inspect_aws_auth({key: found.text[found.starts[index] : found.ends[index]]})
    if report.auth.dropped or len(report.entries) != 1:
        return None
    return report.entries[0]
