"""The demo workbook and the blank template: how they are made, and the copies shipped inside
the package.

`sheetsync demo` and `sheetsync template` read the packaged copies (`sheetsync/data/`) through
importlib.resources, so a plain `pip install` has them. `python sample_sheets/make_samples.py`
writes those and the human-facing copies in `sample_sheets/` from the same code. The demo rows
are dated relative to `sheetsync.demo.DEMO_DAY`, the calendar day the demo's emulator runs on, so
the same workbook stays valid (and its mistakes stay mistakes) whenever the demo is run.
"""

from __future__ import annotations

import datetime as dt
import shutil
from importlib import resources
from pathlib import Path
from typing import Any

from . import columns
from .errors import ConfigError

__all__ = ["DEMO", "TEMPLATE", "build", "demo_rows", "packaged", "write_all", "write_template"]

DEMO = "demo.xlsx"
TEMPLATE = "template.xlsx"


def packaged(name: str) -> Any:
    """The packaged copy of a sample workbook (`DEMO` or `TEMPLATE`), as an importlib Traversable."""
    found = resources.files("sheetsync").joinpath("data", name)
    if not found.is_file():
        raise ConfigError(
            f"The packaged workbook {name} is missing from this sheetsync installation; reinstall "
            "it (pip install --force-reinstall backlinkbase-sheetsync)."
        )
    return found


def write_template(path: Path, *, overwrite: bool = False) -> Path:
    """Copy the blank, ready-to-fill template workbook to `path`."""
    if path.suffix.lower() != ".xlsx":
        raise ConfigError(f"{path} does not end in .xlsx; name the new workbook like articles.xlsx.")
    if path.exists() and not overwrite:
        raise ConfigError(f"{path} already exists; choose another name, or pass --force to replace it.")
    if path.parent and not path.parent.is_dir():
        raise ConfigError(f"The folder {path.parent} does not exist; create it or choose another path.")
    with packaged(TEMPLATE).open("rb") as source, open(path, "wb") as target:
        shutil.copyfileobj(source, target)
    return path


# --- making them ----------------------------------------------------------------------------
# openpyxl is imported here only: reading the packaged copies needs none of it.

SHEET_TITLE = "Articles"


BODY_ROOFS = (
    "<p>Cities across Europe are covering flat roofs with sedum, grasses and wildflowers. "
    "New measurements from three summers show that a planted roof can keep the street below "
    "up to five degrees cooler on the hottest afternoons, while soaking up heavy rain that "
    "would otherwise overwhelm old drains.</p><p>Building owners also report lower cooling "
    "bills and longer-lasting roof membranes.</p>"
)
BODY_BIKES = (
    "Electric cargo bikes now carry a third of parcel deliveries in several city centres. "
    "Couriers say they park closer to the door, skip traffic queues and finish their rounds "
    "earlier, and shop owners like the quieter streets. This guide compares the five most "
    "popular models on range, load capacity, price and servicing costs."
)
BODY_SOURDOUGH = (
    "A good sourdough starter needs only flour, water and patience. Feed it at the same time "
    "every day, keep it somewhere warm, and within a week it will double in size after each "
    "feeding. Our bakers share the schedule they use, the signs that a starter is ready, and "
    "how to rescue one that smells of nail varnish."
)
BODY_HOMEWORK = (
    "Remote teams that write things down move faster. We looked at how twenty small companies "
    "run their weekly planning without meetings: a shared document, short written updates and "
    "one clear owner per decision. Here is the template they converged on."
)
BODY_SOLAR = (
    "Balcony solar panels plug straight into a wall socket and can cover the standby power of "
    "a typical flat. We explain the rules for renters, the paperwork some countries still ask "
    "for, and how long the panels take to pay for themselves."
)
BODY_SHORT = "Find cheap flights to the sun this winter with our weekly price tracker."


def demo_rows(day: dt.date) -> list[list[object]]:
    """The demo's rows: valid ones, messy-but-valid ones, typical mistakes and an unready one."""
    return [
        # Valid, plain: two targets, default schedule window.
        ["", "Green roofs cut city heat by up to five degrees", BODY_ROOFS,
         "https://greenroofs.example.org/research, https://greenroofs.example.org/guide",
         "388, 372", None, None, True],
        # Messy but valid: ";" between ids, URLs one per line, real date cells.
        ["Cargo bikes guide", "How electric cargo bikes are changing city deliveries", BODY_BIKES,
         "https://cargobikes.example.com/guide\nhttps://cargobikes.example.com/models",
         "388; 401", day, day + dt.timedelta(days=2), True],
        # Messy but valid: the id pasted from a CSV export as 395.0.
        ["", "Starting a sourdough starter from scratch in one week", BODY_SOURDOUGH,
         "https://bakery.example.net/sourdough", "395.0", None, None, True],
        # Valid: three targets, dates typed as text.
        ["Remote planning", "How small remote teams plan their week without meetings", BODY_HOMEWORK,
         "https://writeitdown.example.com/template, https://writeitdown.example.com/blog",
         "372, 380, 392", day.isoformat(), (day + dt.timedelta(days=1)).isoformat(), True],
        # Mistake: the title has two words.
        ["", "Cheap flights", BODY_SHORT, "https://flights.example.com/winter", "372", None, None, True],
        # Mistake: not an absolute URL.
        ["", "Balcony solar panels explained for renters and owners", BODY_SOLAR,
         "sunnybalcony.com/renters-guide", "380", None, None, True],
        # Mistake: a site id that is not in the catalogue.
        ["", "The quiet comeback of the neighbourhood repair cafe", BODY_HOMEWORK,
         "https://repair.example.org/cafes", "9999", None, None, True],
        # Mistake: schedule_till two months out, past the one-month window.
        ["", "Ten winter walks within an hour of the city", BODY_ROOFS,
         "https://walks.example.com/winter", "392", day, day + dt.timedelta(days=60), True],
        # Not marked ready: a draft, left alone.
        ["", "Draft: what we learned from a year of four-day weeks", BODY_HOMEWORK,
         "https://fourdays.example.com/report", "401", None, None, False],
    ]


def build(path: Path, rows: list[list[object]]) -> None:
    """Write a workbook whose Articles tab holds `rows`, then `sheetsync init` it.

    The layout (columns, colours, notes, widths, the ready list, the status colours, the
    "How to fill this in" tab) comes from `init` alone, exactly as on a person's sheet; only
    the rows' own cells are written here, wrapped as the layout says for their columns.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment

    from .tables.layout import BY_NAME, row_points
    from .tables.xlsx import XlsxTable

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_TITLE
    if rows:
        ws.append(list(columns.INPUT_COLUMNS))
        for values in rows:
            ws.append(values)
        for number, values in enumerate(rows, start=2):
            cells = [(BY_NAME[n], str(v)) for n, v in zip(columns.INPUT_COLUMNS, values) if v not in (None, "")]
            ws.row_dimensions[number].height = row_points(cells)
        for row in ws.iter_rows(min_row=2):
            for cell, name in zip(row, columns.INPUT_COLUMNS):
                layout = BY_NAME[name]
                horizontal = "center" if layout.center else None
                cell.alignment = Alignment(wrap_text=layout.wrap, vertical="top", horizontal=horizontal)
                if layout.boolean:
                    cell.number_format = '"TRUE";"TRUE";"FALSE"'  # read as TRUE/FALSE everywhere
                if isinstance(cell.value, dt.date):
                    cell.number_format = "yyyy-mm-dd"
    wb.save(path)
    with XlsxTable(path, SHEET_TITLE) as table:
        table.set_up()


def write_all(first: Path, *copies: Path) -> list[Path]:
    """Write the demo workbook and the template into `first`, and byte-identical copies into
    each of `copies` (the generator's job)."""
    from .demo import DEMO_DAY

    build(first / DEMO, demo_rows(DEMO_DAY))
    build(first / TEMPLATE, [])
    written = [first / DEMO, first / TEMPLATE]
    for folder in copies:
        for name in (DEMO, TEMPLATE):
            shutil.copyfile(first / name, folder / name)
            written.append(folder / name)
    return written


PACKAGE_DATA = Path(__file__).resolve().parent / "data"
