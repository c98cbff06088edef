"""Render one tab of a workbook to PNG through LibreOffice headless, to see it as people will.

    python scripts/render_sheet.py demo-output/demo.xlsx docs/synced-sheet.png [--tab Articles]

Needs `soffice` (apt-get install libreoffice-calc-nogui) and `pdftoppm` (apt-get install
poppler-utils). The workbook itself is never changed: a copy gets a landscape page that fits
the tab's width, the other tabs are hidden, and LibreOffice prints that copy to PDF.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def missing_tools() -> list[str]:
    """The tools this needs that are not installed (empty: rendering can work)."""
    return [tool for tool in ("soffice", "pdftoppm") if shutil.which(tool) is None]


def render(
    workbook: Path, out: Path, tab: str | None = None, *, dpi: int = 150, rows: int = 0,
    columns: list[str] | None = None,
) -> Path:
    """Write `out` (PNG): the first page of `tab` (default: the first tab) of `workbook`.

    `rows` > 0 prints only the first `rows` rows, and `columns` (header texts) only those
    columns, so a wide sheet still reads at this size.
    """
    from openpyxl import load_workbook

    missing = missing_tools()
    if missing:
        raise RuntimeError(f"{', '.join(missing)} not found; install libreoffice-calc-nogui and poppler-utils.")
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        copy = work / "render.xlsx"
        wb = load_workbook(workbook)
        chosen = wb[tab] if tab else wb.worksheets[0]
        for ws in wb.worksheets:
            ws.sheet_state = "visible" if ws is chosen else "hidden"
        wb.active = wb.worksheets.index(chosen)
        chosen.page_setup.orientation = "landscape"
        chosen.page_setup.fitToWidth = 1
        chosen.page_setup.fitToHeight = 0
        chosen.sheet_properties.pageSetUpPr.fitToPage = True
        chosen.print_options.gridLines = True
        if columns:
            for cell in chosen[1]:
                if str(cell.value or "") not in columns:
                    chosen.column_dimensions[cell.column_letter].hidden = True
        if rows:
            chosen.print_area = f"A1:{chosen.cell(row=1, column=chosen.max_column).column_letter}{rows}"
        wb.save(copy)
        subprocess.run(
            ["soffice", f"-env:UserInstallation=file://{work / 'profile'}", "--headless",
             "--convert-to", "pdf", "--outdir", str(work), str(copy)],
            check=True, capture_output=True, timeout=180,
        )  # fmt: skip
        subprocess.run(
            ["pdftoppm", "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile",
             str(work / "render.pdf"), str(work / "page")],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        out.parent.mkdir(parents=True, exist_ok=True)
        _trim(work / "page.png", out)
    return out


def _trim(page: Path, out: Path) -> None:
    """Cut the empty page margin away (with Pillow when installed), keeping a small border."""
    try:
        from PIL import Image, ImageChops
    except ImportError:
        shutil.copyfile(page, out)
        return
    with Image.open(page) as image:
        rgb = image.convert("RGB")
        box = ImageChops.difference(rgb, Image.new("RGB", rgb.size, "white")).getbbox()
        if box:
            pad = 8
            box = (max(0, box[0] - pad), max(0, box[1] - pad), min(rgb.width, box[2] + pad), min(rgb.height, box[3] + pad))
            rgb = rgb.crop(box)
        rgb.save(out, optimize=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workbook", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--tab", default=None)
    parser.add_argument("--dpi", type=int, default=150)
    parser.add_argument("--rows", type=int, default=0, help="print only the first N rows")
    parser.add_argument("--columns", default="", help="print only these columns (header texts, comma-separated)")
    args = parser.parse_args(argv)
    shown = [c.strip() for c in args.columns.split(",") if c.strip()] or None
    print(render(args.workbook, args.out, args.tab, dpi=args.dpi, rows=args.rows, columns=shown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
