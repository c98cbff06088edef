"""How a linked result-URL cell looks: as Excel's own Hyperlink style, blue and underlined.

A cell hyperlink changes nothing in the cell's look, so without this a clickable cell reads as
plain text. Like the UTC times, each style a linked cell had gets one appended variant (its
font with underline and the hyperlink colour); the styles already there are never rewritten.
"""

from __future__ import annotations

from collections.abc import Iterable
from copy import deepcopy

from lxml import etree

from .layout import Styles
from .package import parse
from .times import plain_xml, style_order

#: The Office theme's hyperlink colour, as Excel's Hyperlink cell style shows it.
LINK_RGB = "FF0563C1"


def _is_link_font(font: etree._Element | None) -> bool:
    if font is None:
        return False
    kids = {etree.QName(c).localname: c for c in font if isinstance(c.tag, str)}
    return "u" in kids and kids.get("color") is not None and kids["color"].get("rgb") == LINK_RGB


def _font_variant(font: etree._Element | None, ns: str, linked: bool) -> str | None:
    """`font` (XML without prefixes) underlined in the hyperlink colour, or with neither."""
    if font is None:
        if not linked:
            return None
        return f'<font><u/><sz val="11"/><color rgb="{LINK_RGB}"/><name val="Calibri"/><family val="2"/></font>'
    font = deepcopy(font)
    for child in list(font):
        if isinstance(child.tag, str) and etree.QName(child).localname in ("u", "color"):
            font.remove(child)
    if linked:
        # CT_Font is a choice of its children in any order: appending keeps it valid.
        etree.SubElement(font, f"{{{ns}}}u")
        etree.SubElement(font, f"{{{ns}}}color", rgb=LINK_RGB)
    font.text = None
    for child in font:
        child.tail = None
    return plain_xml(font, ns)


def link_styles(styles: Styles, used: Iterable[bytes | None], *, linked: bool = True) -> dict[bytes | None, bytes]:
    """Style index -> the same style looking like a link (None: a cell without a style).

    With `linked=False`, the other way: a style sheetsync made look like a link loses that
    look (a cell whose link went away), and every other style stays as it is.
    """
    root = parse(styles.xml)
    fonts_el, xfs_el = root.find(f"{{{styles.ns}}}fonts"), root.find(f"{{{styles.ns}}}cellXfs")
    fonts = [f for f in fonts_el if isinstance(f.tag, str)] if fonts_el is not None else []
    xfs = [x for x in xfs_el if isinstance(x.tag, str)] if xfs_el is not None else []
    out: dict[bytes | None, bytes] = {}
    for s in sorted({None, *used}, key=style_order):  # sorted: the same input appends the same styles
        index = int(s) if s is not None else 0
        xf = xfs[index] if index < len(xfs) else None
        font_id = int(xf.get("fontId", "0") or 0) if xf is not None else 0
        old_font = fonts[font_id] if font_id < len(fonts) else None
        if not linked and (s is None or not _is_link_font(old_font)):
            if s is not None:
                out[s] = s
            continue
        font = _font_variant(old_font, styles.ns, linked)
        if xf is None:
            variant_text = None
        else:
            variant = deepcopy(xf)
            variant.tail = None
            if font is not None:
                variant.set("fontId", str(styles.ensure("fonts", font)))
                variant.set("applyFont", "1")
            variant_text = plain_xml(variant, styles.ns)
        if variant_text is None:
            out[s] = s if s is not None else b"0"  # nothing readable to vary: the look it had
            continue
        out[s] = str(styles.ensure("cellXfs", variant_text)).encode()
    return out


def link_style_id(styles: Styles) -> int:
    """The style of a linked cell in a tab sheetsync owns."""
    return int(link_styles(styles, ())[None])
