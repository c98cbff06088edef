"""The .xlsx/.xlsm backend: a streaming reader and a writer that edits the package in place.

`package.py` finds the parts, `reader.py` streams a worksheet into values, `writer.py` splices
sheetsync's cells into the worksheet XML, `links.py` keeps the result-URL cells' hyperlinks
beside the person's own, `times.py` gives UTC times their date-time styles, `layout.py` draws
the sheet's layout, `save.py` writes the file atomically, and
`table.py` puts them together behind the `Table` interface. openpyxl is not used here: it
rebuilds a whole workbook to change a cell, and loses what it does not understand.
"""

from .table import XlsxTable

__all__ = ["XlsxTable"]
