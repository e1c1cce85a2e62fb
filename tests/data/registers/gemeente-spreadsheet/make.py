"""Writes this folder's spreadsheet exports from ``algoritmes.txt`` (UTF-8, ';'-separated):
the same register as a Windows-1252 CSV, a UTF-16 CSV (with BOM), a Mac Roman CSV and an xlsx
workbook, the way municipal spreadsheet software exports them. Run it after editing the text:
``.venv/bin/python tests/data/registers/gemeente-spreadsheet/make.py``."""

from __future__ import annotations

import csv
import datetime
import io
from pathlib import Path

import openpyxl

HERE = Path(__file__).resolve().parent
text = (HERE / "algoritmes.txt").read_text(encoding="utf-8")
crlf = text.replace("\n", "\r\n")
(HERE / "algoritmes.csv").write_bytes(crlf.encode("cp1252"))
(HERE / "algoritmes-utf16.csv").write_bytes(crlf.encode("utf-16"))
(HERE / "algoritmes-macroman.csv").write_bytes(crlf.encode("mac-roman"))

book = openpyxl.Workbook()
info = book.active
info.title = "Toelichting"
info.append(["Algoritmeregister van de gemeente, export uit het registratiesysteem"])
sheet = book.create_sheet("Algoritmes")
rows = list(csv.reader(io.StringIO(text), delimiter=";"))
sheet.append(rows[0])
date_column = rows[0].index("Datum ingebruikname")
for row in rows[1:]:
    cells: list[object] = list(row)
    day, month, year = (int(x) for x in row[date_column].split("-"))
    cells[date_column] = datetime.datetime(year, month, day)  # a real date cell
    sheet.append(cells)
book.properties.created = datetime.datetime(2025, 1, 1)  # the same bytes every time
book.properties.modified = datetime.datetime(2025, 1, 1)
book.save(HERE / "algoritmes.xlsx")
