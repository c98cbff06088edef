"""Generate the demo workbook and the blank template: `python sample_sheets/make_samples.py`.

Writes the human-facing copies here and the copies shipped inside the package
(`sheetsync/data/`), all from `sheetsync.samples`. Every copy is committed; rerun this after
changing the columns or the demo rows (a test says when a copy is stale).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sheetsync.samples import PACKAGE_DATA, write_all  # noqa: E402

HERE = Path(__file__).resolve().parent


def main() -> None:
    PACKAGE_DATA.mkdir(exist_ok=True)
    for path in write_all(HERE, PACKAGE_DATA):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
