"""A blank file to fill in for a Table Schema: a CSV whose only row is the
header, or an XLSX workbook whose first sheet holds the header row (the sheet
the validator reads) and whose second sheet describes each column."""
from __future__ import annotations

import csv
import io
from typing import Any

import ckan.plugins.toolkit as tk

from ckanext.satudata.validation import messages

__all__ = ["csv_bytes", "xlsx_bytes", "CONTENT_TYPES"]

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_TEXT_TYPES = ("string",)  # columns Excel must keep as typed (codes with leading zeros)


def csv_bytes(schema: dict[str, Any]) -> bytes:
    """The header row, comma-separated, UTF-8."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(messages.field_names(schema))
    return out.getvalue().encode("utf-8")


def xlsx_bytes(schema: dict[str, Any]) -> bytes:
    """Sheet 1: the header row (bold, text columns formatted as Text so Excel
    keeps leading zeros). Sheet 2: the format table in the page's language."""
    from openpyxl import Workbook  # lazily: only this download needs it
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    columns = messages.columns(schema)
    book = Workbook()
    data = book.active
    data.title = tk._("Data")[:31]
    data.append([c["name"] for c in columns])
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        data.cell(row=1, column=index).font = Font(bold=True)
        data.column_dimensions[letter].width = max(12, min(40, len(column["name"]) + 4))
        if column["type"] in _TEXT_TYPES:
            data.column_dimensions[letter].number_format = "@"
    data.freeze_panes = "A2"

    info = book.create_sheet(tk._("Format")[:31])
    info.append([tk._("Column"), tk._("Title"), tk._("Type"), tk._("Required"), tk._("Rules"), tk._("Description")])
    for cell in info[1]:
        cell.font = Font(bold=True)
    for column in columns:
        info.append([column["name"], column["title"], column["type_label"],
                     tk._("Yes") if column["required"] else tk._("No"),
                     "; ".join(column["rules"] + ([tk._("unique")] if column["unique"] else [])),
                     column["description"]])
    for letter, width in zip("ABCDEF", (20, 30, 24, 10, 40, 50)):
        info.column_dimensions[letter].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
