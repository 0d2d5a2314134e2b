"""Strict reading of exported CSV files: every defect is reported with the file and the line.

A malformed export must import nothing, so files are read completely and checked before any row
is written; `ExportError` carries a French message naming the file and the line.
"""

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

csv.field_size_limit(10_000_000)


class ExportError(Exception):
    """The export cannot be imported as it is. Nothing was written."""


@dataclass(frozen=True)
class Row:
    """One record of a CSV file, with the line where it starts (for error messages)."""

    filename: str
    line: int
    values: dict[str, str]

    def __getitem__(self, column: str) -> str:
        return self.values[column]

    def fail(self, message: str) -> ExportError:
        return ExportError(f"Fichier {self.filename}, ligne {self.line} : {message}")

    def integer(self, column: str) -> int:
        value = self.values[column].strip()
        try:
            return int(value)
        except ValueError:
            raise self.fail(
                f"la colonne « {column} » doit contenir un nombre entier (trouvé « {value} »)."
            ) from None

    def optional_integer(self, column: str) -> int | None:
        return self.integer(column) if self.values[column].strip() else None

    def timestamp(self, column: str) -> datetime:
        value = self.values[column].strip()
        for parse in (_decidim_format, datetime.fromisoformat):
            try:
                parsed = parse(value)
            except ValueError:
                continue
            if parsed.tzinfo is not None:
                return parsed
        raise self.fail(
            f"la colonne « {column} » doit contenir une date avec fuseau horaire, par exemple "
            f"« 2019-01-17 10:38:20 +0100 » (trouvé « {value} »)."
        )


def _decidim_format(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%d %H:%M:%S %z")


def read_rows(path: Path, required: list[str], delimiter: str = ";") -> list[Row]:
    """All records of `path`, checked for encoding, required columns and field counts."""
    name = path.name
    text = _decode(path)
    # newline="": the csv module sees "\r\n" inside quoted fields as it is written.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise ExportError(f"Fichier {name} : le fichier est vide.") from None
    except csv.Error as exc:
        raise ExportError(f"Fichier {name}, ligne 1 : en-tête illisible ({exc}).") from None
    header = [column.strip() for column in header]
    missing = [column for column in required if column not in header]
    if missing:
        raise ExportError(
            f"Fichier {name}, ligne 1 : colonne(s) manquante(s) : {', '.join(missing)}."
        )
    rows = []
    start = reader.line_num + 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise ExportError(
                f"Fichier {name}, ligne {start} : enregistrement mal formé, sans doute un champ "
                f"entre guillemets jamais refermé (fichier tronqué ?) ({exc})."
            ) from None
        if fields and len(fields) != len(header):
            raise ExportError(
                f"Fichier {name}, ligne {start} : {len(fields)} champs au lieu de {len(header)} "
                "(séparateur attendu : « ; »)."
            )
        if fields:
            rows.append(Row(name, start, dict(zip(header, fields, strict=True))))
        start = reader.line_num + 1
    return rows


def _decode(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ExportError(
            f"Fichier {path.name}, ligne {line} : le fichier n'est pas encodé en UTF-8 "
            "(réenregistrez-le en UTF-8)."
        ) from None
