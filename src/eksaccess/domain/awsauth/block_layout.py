"""Where the items of an aws-auth list are, for edits: one regular expression per item, no values decoded.

The common form is a block list of ``- key: value`` items, fields two columns in, values one-line scalars
or lists of them, comment and blank lines anywhere (see FastLayout). A text in that form is proven valid
YAML whose items the authenticator reads one by one, each from its own text alone; so an edit that replaces
or removes whole items, or appends one, changes nothing else, and a splice is re-read only around the
change. Anything else gives None: the careful path (awsauth_yaml.sequence_layout) decides.
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass

from eksaccess.domain.awsauth.block_reader import readable
from eksaccess.domain.awsauth.go_yaml import MAX_NODES, ItemSpan

_R_EOL = r"(?:\r?\n|\Z)"
_R_FIRST = r"[^ \n\r\-?:,\[\]{}#&*!|>'\"%@`]"  # a plain scalar's first character
# Possessive throughout: a plain scalar never gives characters back, so no backtracking per character.
_R_PLAIN = rf"{_R_FIRST}[^\n\r:#]*+(?::++[^ \n\r:#][^\n\r:#]*+)*+(?:(?<= )#[^\n\r]*+)?"
_R_QUOTED = r"(?:'(?:[^'\n\r]|'')*+'|\"[^\"\\\n\r]*+\")(?:[ ]++#[^\n\r]*+|[ ]*+)"
_R_SCALAR = rf"(?:{_R_PLAIN}|{_R_QUOTED})"
_R_PLAIN_FLOW = rf"{_R_FIRST}[^\n\r,\[\]{{}}#:]*+(?::(?=[^ \n\r,\[\]{{}}])[^\n\r,\[\]{{}}#:]*+)*+"
_R_FLOW_ITEM = rf"(?:'(?:[^'\n\r]|'')*+'|\"[^\"\\\n\r]*+\"|{_R_PLAIN_FLOW})"
_R_FLOW = rf"\[[ ]*+(?:{_R_FLOW_ITEM}[ ]*+(?:,[ ]*+{_R_FLOW_ITEM}[ ]*+)*+)?\](?:[ ]++#[^\n\r]*+|[ ]*+)"
_R_KEY = r"(?!(?:null|Null|NULL):)[A-Za-z_][A-Za-z0-9_.-]*+"
_R_IGNORED = r"[ ]*+(?:#[^\n\r]*+)?\r?\n"  # a blank or comment line


@functools.cache
def _item_pattern(column: int) -> re.Pattern[str]:
    """Ignored lines, then one ``- key: ...`` item at ``column`` (keys two columns further in)."""
    dash, keys = " " * column, " " * (column + 2)
    field = (
        rf"{_R_KEY}:(?:[ ]+(?:{_R_FLOW}|{_R_SCALAR}){_R_EOL}"
        rf"|(?:[ ]+(?:#[^\n\r]*)?)?\r?\n(?:{_R_IGNORED})*+"
        rf"(?P<li>{keys}[ ]*+)-[ ]+{_R_SCALAR}{_R_EOL}(?:(?:{_R_IGNORED})*+(?P=li)-[ ]+{_R_SCALAR}{_R_EOL})*)"
    )
    # after each field: the next field's key at the keys' column, or the item's end (the next "- " at
    # the dash's column, or the end of the text); anything else fails the item and so the layout
    after = rf"(?:(?:{_R_IGNORED})*+{keys}(?={_R_KEY}:)|(?=(?:{_R_IGNORED})*+(?:{dash}- |[ ]*+(?:#[^\n\r]*+)?\Z)))"
    return re.compile(rf"(?:{_R_IGNORED})*+({dash}- (?:{field}{after})+)")


_R_END = re.compile(rf"(?:{_R_IGNORED})*+[ ]*(?:#[^\n\r]*)?\Z")
_FIRST_DASH = re.compile(rf"(?:{_R_IGNORED})*+( *)- ")


@dataclass(frozen=True, slots=True)
class FastLayout:
    """The items of a block list in the common form (``- key: value`` lines, fields two columns in).

    Proven of such a text: it is valid YAML, a block sequence of mappings whose keys are plain, non-null
    scalars and whose values are one-line scalars or lists of them, so the authenticator does not drop it;
    every value appears literally in its item's text (``''`` aside). Duplicate or case-variant keys are not
    resolved here: decode an item with parse_list when its values matter.
    """

    text: str
    column: int
    starts: list[int]
    ends: list[int]

    def span(self, index: int) -> ItemSpan:
        """ItemSpan as awsauth_yaml.sequence_layout gives it (lead: the comment lines directly above)."""
        start = self.starts[index]
        floor = self.ends[index - 1] if index else 0
        lead = start
        while lead > floor:
            above = max(self.text.rfind("\n", floor, lead - 1) + 1, floor)
            if not self.text[above:lead].lstrip(" ").startswith("#"):
                break
            lead = above
        return ItemSpan(start=start, end=self.ends[index], lead=lead, column=self.column)

    def item_at(self, offset: int) -> int | None:
        """The index of the item whose text holds ``offset``, if any."""
        index = bisect.bisect_right(self.starts, offset) - 1
        return index if index >= 0 and offset < self.ends[index] else None


def layout(text: str) -> FastLayout | None:
    """The common-form block list in ``text``, or None (then parse_list or the careful path decide)."""
    if not readable(text):
        return None
    if 1 + 3 * (text.count("\n") + 1) + text.count(",") > MAX_NODES:
        return None  # possibly over go-yaml's node budget: let parse_list count exactly
    first = _FIRST_DASH.match(text)
    if first is None:
        return None
    column = len(first.group(1))
    starts: list[int] = []
    ends: list[int] = []
    position = 0
    for match in _item_pattern(column).finditer(text):
        if match.start() != position:
            return None
        starts.append(match.start(1))
        position = match.end()
        ends.append(position)
    if not starts or not _R_END.match(text, position):
        return None
    return FastLayout(text=text, column=column, starts=starts, ends=ends)


def splice(found: FastLayout, start: int, end: int, replacement: str) -> FastLayout | None:
    """The layout of ``found.text`` with ``[start, end)`` replaced, or None when that leaves the common form.

    Only the items from the one before the change up to the first that ends past it are read again: an
    item's match depends on its own text and on what follows up to the next ``- `` (its lookahead), so once a
    match ends on an old boundary past the change, every later item is the old one, shifted.
    """
    text = found.text[:start] + replacement + found.text[end:]
    if not readable(text) or 1 + 3 * (text.count("\n") + 1) + text.count(",") > MAX_NODES:
        return None
    delta = len(replacement) - (end - start)
    changed_to = start + len(replacement)
    first = max(bisect.bisect_right(found.ends, start) - 1, 0)
    starts, ends = found.starts[:first], found.ends[:first]
    position = ends[-1] if ends else 0
    pattern = _item_pattern(found.column)
    while (match := pattern.match(text, position)) is not None:
        starts.append(match.start(1))
        position = match.end()
        ends.append(position)
        if position < changed_to:
            continue
        old = bisect.bisect_left(found.ends, position - delta)
        if old < len(found.ends) and found.ends[old] == position - delta:
            starts += [s + delta for s in found.starts[old + 1 :]]
            ends += [e + delta for e in found.ends[old + 1 :]]
            return FastLayout(text=text, column=found.column, starts=starts, ends=ends)
    if not starts or not _R_END.match(text, position):
        return None
    return FastLayout(text=text, column=found.column, starts=starts, ends=ends)
