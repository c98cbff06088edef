"""The styles of the UTC times sheetsync writes into the articles tab as date-time cells.

A time cell keeps what its old style gave it (the person's fill, font, border, alignment) and
takes the `yyyy-mm-dd hh:mm "UTC"` number format: each style it had gets one appended variant,
and the styles already there are never rewritten.
"""

from __future__ import annotations

from collections.abc import Iterable
from copy import deepcopy
from xml.sax.saxutils import quoteattr

from lxml import etree

from .layout import UTC_FORMAT, Styles, utc_time_style_id
from .package import parse


def plain_xml(elem: etree._Element, ns: str) -> str | None:
    """`elem` as XML without namespace prefixes; None when it holds anything outside `ns`."""
    if not isinstance(elem.tag, str) or etree.QName(elem).namespace != ns or any("}" in k for k in elem.attrib):
        return None
    inner = []
    for child in elem:
        text = plain_xml(child, ns)
        if text is None:
            return None
        inner.append(text)
    name = etree.QName(elem).localname
    attrs = "".join(f" {k}={quoteattr(v)}" for k, v in elem.attrib.items())
    return f"<{name}{attrs}>{''.join(inner)}</{name}>" if inner else f"<{name}{attrs}/>"


def style_order(style: bytes | None) -> int:
    """Sort key of a cell style index (None, no style, first)."""
    return -1 if style is None else int(style)


def utc_styles(styles: Styles, used: Iterable[bytes | None]) -> dict[bytes | None, bytes]:
    """Style index -> the index of the same style showing a UTC time (None: a cell without one)."""
    fmt = str(styles.number_format(UTC_FORMAT))
    plain = str(utc_time_style_id(styles)).encode()
    out: dict[bytes | None, bytes] = {None: plain}
    found = parse(styles.xml).find(f"{{{styles.ns}}}cellXfs")
    xfs = [x for x in found if isinstance(x.tag, str)] if found is not None else []
    for s in sorted(used, key=style_order):  # sorted: the same input appends the same styles
        if s is None or s in out:
            continue
        index = int(s)
        if index == 0 or index >= len(xfs):
            out[s] = plain  # the default style: nothing of the person's to keep
            continue
        xf = xfs[index]
        if xf.get("numFmtId") == fmt:
            out[s] = s  # already a UTC time
            continue
        variant = deepcopy(xf)
        variant.set("numFmtId", fmt)
        variant.set("applyNumberFormat", "1")
        text = plain_xml(variant, styles.ns)
        out[s] = str(styles.ensure("cellXfs", text)).encode() if text else plain
    return out
