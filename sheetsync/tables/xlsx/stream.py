"""The articles worksheet part read in chunks, so that a write never holds it whole.

At 100,000 rows the part is about 80 MB decompressed, nearly all of it rows that a write
copies as they are. `scan` reads the part once for what must be known before the first byte is
written: its skeleton (the part without the rows inside <sheetData>: the head with <cols> and
the dimension, the tail with hyperlinks and the filter) and the styles of the cells in the
columns that take new styles. `body` then reads the rows again, chunk by chunk, for
`Splicer.edit_stream`, which writes them straight into the new package.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass

from .package import Package, element_prefix
from .writer import Splicer, cell_in_column, style_of

CHUNK = 1 << 20
# Any prefix: the worksheet's own is only known once its root element has been read.
_SHEET_DATA = re.compile(rb"<(?:[\w.-]+:)?sheetData\b[^>]*?(/?)>")


@dataclass(frozen=True)
class Scan:
    """What a streamed write needs to know about the part before it writes."""

    skeleton: bytes
    prefix: bytes
    #: Where the rows start (just after <sheetData>) and end (at </sheetData>) in the part.
    lo: int
    hi: int
    #: Column -> the styles its cells among the rows have, in the order they first appear.
    styles: dict[int, dict[bytes | None, None]]


def scan(package: Package, part: str, columns: Collection[int] = (), chunk: int = 0) -> Scan | None:
    """The part's skeleton and the styles of `columns`; None when the part is one to edit whole
    (no <sheetData>, or one not closed: the whole-part edit says what is wrong)."""
    chunk = chunk or CHUNK
    with package.open(part) as fh:
        head = b""
        opened = None
        while opened is None:
            data = fh.read(chunk)
            if not data:
                return None
            head += data
            opened = _SHEET_DATA.search(head)
        prefix = element_prefix(head[: opened.start()])
        splicer = Splicer(prefix)
        check = splicer.sheet_data.search(head)
        if check is None or check.span() != opened.span():
            return None  # a sheetData of another prefix first: not the usual part
        lo = opened.end()
        if opened.group(1):  # <sheetData/>: no rows, the rest is the tail
            return Scan(head + fh.read(), prefix, lo, lo, {c: {} for c in columns})
        cells = {c: cell_in_column(prefix, c) for c in columns}
        styles: dict[int, dict[bytes | None, None]] = {c: {} for c in columns}

        def collect(rows: bytes) -> None:
            for c, pattern in cells.items():
                seen = styles[c]
                for m in pattern.finditer(rows):
                    seen.setdefault(style_of(m.group(1)))

        end = splicer.sheet_data_end
        buf, head, offset = head[lo:], head[:lo], lo
        while (at := buf.find(end)) < 0:
            data = fh.read(chunk)
            if not data:
                return None
            # Cut just after a '>': no cell tag, and no </sheetData>, spans the cut.
            cut = buf.rfind(b">") + 1
            if cut:
                collect(buf[:cut])
                offset += cut
                buf = buf[cut:] + data
            else:
                buf += data
        collect(buf[:at])
        return Scan(head + buf[at:] + fh.read(), prefix, lo, offset + at, styles)


def body(package: Package, part: str, lo: int, hi: int, chunk: int = 0) -> Iterator[bytes]:
    """The part's bytes from `lo` to `hi` (its rows), in chunks."""
    chunk = chunk or CHUNK
    with package.open(part) as fh:
        skip = lo
        while skip:
            data = fh.read(min(chunk, skip))
            if not data:
                raise ValueError("the worksheet part ended before its rows")
            skip -= len(data)
        left = hi - lo
        while left:
            data = fh.read(min(chunk, left))
            if not data:
                raise ValueError("the worksheet part ended inside its rows")
            left -= len(data)
            yield data
