"""Pure: after a positional write, which cells must be written again so every row holds its own.

Google Sheets writes by position and has no conditional write. A person who sorts, inserts
or deletes rows between our re-read and our write makes some values land on a neighbour. So
the backend reads the written columns once more and compares: every row, recognised by its
key (or, for a row without one, by its anchor text), must hold what it held before plus what
was meant for it. `corrections` names the cells that differ; the backend writes them and
checks again, until nothing differs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .base import CellWrite

__all__ = ["RowState", "corrections", "placed_keys"]


@dataclass(frozen=True)
class RowState:
    """One data row as read: its key, its anchor text and the text of the columns of interest."""

    key: str
    anchor: str
    values: Mapping[int, str]  # 1-based column -> text


def _identity(row: RowState) -> tuple[str, str]:
    return ("key", row.key) if row.key else ("anchor", row.anchor.strip())


def corrections(
    before: Sequence[RowState],
    meant: Mapping[int, Mapping[int, str]],
    after: Sequence[RowState],
    key_col: int,
) -> list[CellWrite]:
    """Cells to write (1-based rows) so that each row of `after` holds what belongs to it.

    `before[i]` is data row i as re-read before the write; `meant[i]` the cells written for
    it (column -> value, the key column included when a key was assigned). A row that cannot
    be told apart from another (two rows with one key, or keyless rows with one anchor) is
    left alone: neither could be corrected without guessing.
    """
    seen = Counter(_identity(r) for r in before)
    expected: dict[tuple[str, str], dict[int, str]] = {}
    new_keys: dict[str, tuple[str, str]] = {}
    by_anchor: dict[str, tuple[str, str]] = {}
    anchors = Counter(r.anchor.strip() for r in before)
    for i, row in enumerate(before):
        ident = _identity(row)
        if seen[ident] > 1 or ident == ("anchor", ""):
            continue
        state = {key_col: row.key, **row.values, **meant.get(i, {})}
        expected[ident] = state
        if anchors[row.anchor.strip()] == 1 and row.anchor.strip():
            by_anchor[row.anchor.strip()] = ident
        new = meant.get(i, {}).get(key_col)
        if new and new != row.key:
            new_keys[new] = ident
    fixes: list[CellWrite] = []
    claimed = Counter(r.key for r in after if r.key)
    for j, row in enumerate(after):
        ident = _which(row, expected, new_keys, by_anchor, claimed)
        if ident is None:
            continue
        state = {key_col: row.key, **row.values}
        for col, value in expected[ident].items():
            if state.get(col, "") != value:
                fixes.append(CellWrite(j + 2, col, value))
    return fixes


def _which(
    row: RowState,
    expected: Mapping[tuple[str, str], object],
    new_keys: Mapping[str, tuple[str, str]],
    by_anchor: Mapping[str, tuple[str, str]],
    claimed: Counter[str],
) -> tuple[str, str] | None:
    """Whose row this is now, or None when that cannot be told."""
    anchor = row.anchor.strip()
    if row.key and claimed[row.key] > 1:
        return None  # a key on two rows: the person copied a row, or a correction is under way
    if row.key in new_keys:
        owner = new_keys[row.key]
        if owner == ("anchor", anchor):
            return owner
        # A new key on the wrong row: the row is whichever the anchor says it is.
        return by_anchor.get(anchor)
    if row.key and ("key", row.key) in expected:
        return ("key", row.key)
    if row.key:
        return None  # a key we did not see before (typed or pasted meanwhile): not ours to touch
    # A row without a key: its own keyless self, or a keyed row whose key was overwritten.
    return by_anchor.get(anchor)


def placed_keys(after: Sequence[RowState], keys: Sequence[str]) -> set[str]:
    """Which of `keys` sit in exactly one row of `after`."""
    count = Counter(r.key for r in after if r.key)
    return {k for k in keys if count[k] == 1}
