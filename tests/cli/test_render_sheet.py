"""scripts/render_sheet.py draws a workbook's tab through LibreOffice, to look at it as people will."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_script():
    spec = importlib.util.spec_from_file_location("render_sheet", ROOT / "scripts" / "render_sheet.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is not installed")
def test_the_template_renders_to_a_png_with_its_coloured_header(tmp_path):
    from PIL import Image

    out = load_script().render(ROOT / "sample_sheets" / "template.xlsx", tmp_path / "t.png", dpi=60)
    with Image.open(out) as image:
        rgb = image.convert("RGB")
        assert rgb.width > 200 and rgb.height > 10
        colours = {c for _, c in rgb.getcolors(1 << 20)}
    near = lambda want: any(sum(abs(a - b) for a, b in zip(c, want)) < 24 for c in colours)  # noqa: E731
    assert near((0xDD, 0xEB, 0xF7)) and near((0xE2, 0xEF, 0xDA))  # the blue and green headers


def test_without_the_tools_it_says_what_to_install(monkeypatch, tmp_path):
    module = load_script()
    monkeypatch.setattr(module.shutil, "which", lambda tool: None)
    with pytest.raises(RuntimeError, match="install libreoffice-calc-nogui and poppler-utils"):
        module.render(ROOT / "sample_sheets" / "template.xlsx", tmp_path / "t.png")
