"""Bring your own catalog: read and validate a product catalogue and an optional query log.

Formats: `.csv` (UTF-8, header row), `.jsonl` / `.json` (one object per line; a `.json` file may also hold one
JSON array of objects) or `.parquet`. List cells are native lists (JSONL, Parquet), a JSON list string, or a
`|`-separated string. Text cells are strings (an integer id is read as its digits); any other type (a dict, a list
where text is expected, a boolean, a float) is refused. Every text is at most `MAX_TEXT_CHARS` characters.

Catalog columns:
    product_id (required, unique), title_en (required, non-empty), keywords_en, category, split
    (train / validation / test, pins the product), emoji, and per language `title_<lang>` / `keywords_<lang>`
    for lang in vi th id ms fil ur bn (empty = not available).
Query-log columns:
    language (required), query (required, non-empty), relevant_ids (required, every id must be a catalog
    product_id, no id twice), relevance (optional, one integer in [1, 2**31 - 1] per relevant id, defaults to 1),
    query_id (optional, unique).

Every problem raises `ValueError` naming the file, the row (1-based data row; the header is row 0) and the column.
"""

import codecs
import csv
import io
import json
import re
from pathlib import Path

import pyarrow.parquet as pq

from .products import LiraProduct
from .queries import LiraQuery, majority_category, make_query_id, normalize_query, order_relevant
from .schema import LANGUAGES, PRODUCT_SPLITS

CATALOG_REQUIRED = ("product_id", "title_en")
CATALOG_OPTIONAL = ("keywords_en", "category", "split", "emoji")
QUERIES_REQUIRED = ("language", "query", "relevant_ids")
QUERIES_OPTIONAL = ("query_id", "relevance")
_LANG_COLUMN = re.compile(r"^(title|keywords)_(.+)$")
MAX_TEXT_CHARS = 10_000  # longest title, keyword, id or query (a product title is rarely over 300)
MAX_RELEVANCE = 2**31 - 1  # grades are stored as int32


def _error(name, row, column, problem):
    where = "header (row 0)" if row == 0 else f"row {row}"
    return ValueError(f"{name}: {where}, column '{column}': {problem}")


def _decode(path, data, header_lines):
    """UTF-8 text of a CSV/JSONL file; on a bad byte, names its row and (when it can) its column."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line_no = data[: err.start].count(b"\n")
        lines = data.decode("utf-8", errors="replace").splitlines()
        column = "?"
        try:
            if header_lines:
                header, fields = next(csv.reader([lines[0]])), next(csv.reader([lines[line_no]]))
                column = next((h for h, f in zip(header, fields) if "\ufffd" in f), column)
            else:
                obj = json.loads(lines[line_no])
                column = next((k for k, v in obj.items() if "\ufffd" in json.dumps(v, ensure_ascii=False)), column)
        except (StopIteration, ValueError, IndexError, AttributeError):
            pass
        row = line_no + (0 if header_lines else 1)
        raise _error(path.name, row, column,
                     f"text is not valid UTF-8 (byte 0x{data[err.start]:02x}); re-save the file as UTF-8.") from None


def read_table(path):
    """Rows of a CSV, JSONL or Parquet file as `(columns, [(row number, dict)])`.

    Row numbers are 1-based: the data row for CSV (the header is row 0) and Parquet, the line for JSONL.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No such file: {path}")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        table = pq.read_table(path)
        rows = table.to_pylist()
        for i, row in enumerate(rows, start=1):
            for key, value in row.items():
                if isinstance(value, bytes):
                    try:
                        row[key] = value.decode("utf-8")
                    except UnicodeDecodeError:
                        raise _error(path.name, i, key, "text is not valid UTF-8; re-encode the column.") from None
        return list(table.column_names), list(enumerate(rows, start=1))
    if suffix == ".csv":
        text = _decode(path, path.read_bytes(), header_lines=True)
        reader = csv.DictReader(io.StringIO(text, newline=""))
        rows = []
        try:
            for i, row in enumerate(reader, start=1):
                if None in row:  # more fields than the header names
                    raise _error(path.name, i, "?", f"{len(row[None])} more fields than the header's "
                                 f"{len(reader.fieldnames)}; quote fields that hold a comma.")
                rows.append((i, row))
        except csv.Error as err:
            raise ValueError(f"{path.name}: line {reader.line_num}: {err} (the csv module's limit is "
                             f"{csv.field_size_limit():,} characters a field; texts here may have at most "
                             f"{MAX_TEXT_CHARS:,}); shorten the field or check its quotes.") from None
        return list(reader.fieldnames or []), rows
    if suffix in (".jsonl", ".json"):
        text = _decode(path, path.read_bytes(), header_lines=False)
        if suffix == ".json" and text.lstrip().startswith("["):
            return _json_array(path, text)
        rows, columns = [], []
        for i, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                raise _error(path.name, i, "?", f"not valid JSON ({err.msg}).") from None
            if not isinstance(row, dict):
                raise _error(path.name, i, "?", "each line must be a JSON object.")
            rows.append((i, row))
            columns += [k for k in row if k not in columns]
        return columns, rows
    raise ValueError(f"{path.name}: unsupported format '{suffix}'; use .csv, .jsonl or .parquet.")


def _json_array(path, text):
    """Rows of a `.json` file holding one JSON array of objects (numbered from 1 in array order)."""
    try:
        items = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"{path.name}: line {err.lineno}: not valid JSON ({err.msg}); give one JSON array of "
                         "objects, or JSON Lines (one object per line).") from None
    rows, columns = [], []
    for i, row in enumerate(items, start=1):
        if not isinstance(row, dict):
            raise _error(path.name, i, "?", f"array item {i} is a {type(row).__name__}; each must be a JSON object.")
        rows.append((i, row))
        columns += [k for k in row if k not in columns]
    return columns, rows


def _short(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


class _Cells:
    """Typed reads of one row's cells; every refusal names the file, the row and the column."""

    def __init__(self, name, number, row):
        self.name, self.number, self.row = name, number, row

    def error(self, column, problem):
        return _error(self.name, self.number, column, problem)

    def _scalar(self, column, value):
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise self.error(column, f"expected text, got {type(value).__name__} {_short(value)}; give a string.")
        value = str(value).strip()
        if len(value) > MAX_TEXT_CHARS:
            raise self.error(column, f"text of {len(value):,} characters, over the {MAX_TEXT_CHARS:,} allowed "
                                     f"({_short(value)}); shorten it.")
        return value

    def text(self, column):
        """The cell as stripped text ("" when empty or missing)."""
        value = self.row.get(column)
        return "" if value is None else self._scalar(column, value)

    def items(self, column):
        """A list cell: native list, JSON list string or `|`-separated string, as stripped non-empty texts."""
        value = self.row.get(column)
        if value is None:
            return []
        if not isinstance(value, (list, tuple)):
            value = self._scalar(column, value)
            if value.startswith("["):
                try:
                    value = json.loads(value)
                except json.JSONDecodeError:
                    pass
            if isinstance(value, str):
                return [v.strip() for v in value.split("|") if v.strip()]
            if not isinstance(value, list):
                raise self.error(column, f"expected a list, got {_short(value)}.")
        return [t for t in (self._scalar(column, v) for v in value if v is not None) if t]


def _check_columns(name, columns, required, optional, language_columns):
    for column in required:
        if column not in columns:
            raise _error(name, 0, column, f"required column is missing (found {list(columns)}).")
    for column in columns:
        match = _LANG_COLUMN.match(column)
        if language_columns and match and match.group(2) != "en" and match.group(2) not in LANGUAGES:
            raise _error(name, 0, column,
                         f"unknown language code '{match.group(2)}'; use one of {list(LANGUAGES)}.")  # fmt: skip


def read_catalog(path):
    """Validated products of a catalog file (see module docstring for columns).

    Returns:
        `list[LiraProduct]`: in file order.
    """
    path = Path(path)
    columns, rows = read_table(path)
    _check_columns(path.name, columns, CATALOG_REQUIRED, CATALOG_OPTIONAL, language_columns=True)
    products, first_row = [], {}
    for i, row in rows:
        cells = _Cells(path.name, i, row)
        pid = cells.text("product_id")
        if not pid:
            raise cells.error("product_id", "empty text; every product needs an id.")
        if pid in first_row:
            raise cells.error("product_id", f"duplicate id '{pid}' (first seen in row {first_row[pid]}).")
        first_row[pid] = i
        title = cells.text("title_en")
        if not title:
            raise cells.error("title_en", "empty text; every product needs an English title.")
        split = cells.text("split") or None
        if split is not None and split not in PRODUCT_SPLITS:
            raise cells.error("split", f"'{split}' is not one of {list(PRODUCT_SPLITS)} (or empty).")
        category = cells.text("category") or "uncategorized"
        products.append(
            LiraProduct(
                product_id=pid,
                title_en=title,
                keywords_en=cells.items("keywords_en"),
                category=category,
                titles={lang: cells.text(f"title_{lang}") for lang in LANGUAGES},
                keywords={lang: cells.items(f"keywords_{lang}") for lang in LANGUAGES},
                emoji=cells.text("emoji"),
                group=category,
                split=split,
            )
        )
    if not products:
        raise ValueError(f"{path.name}: the catalog has no product rows.")
    return products


def read_query_log(path, products):
    """Validated queries of a query-log file, grouped by language.

    Args:
        path (`str` or `Path`): the file.
        products (`list[LiraProduct]`): the validated catalog (relevant ids are checked against it).

    Returns:
        `dict[str, list[LiraQuery]]`: language -> queries (`kind="log"`, `composed=False`).
    """
    path = Path(path)
    columns, rows = read_table(path)
    _check_columns(path.name, columns, QUERIES_REQUIRED, QUERIES_OPTIONAL, language_columns=False)
    position = {p.product_id: i for i, p in enumerate(products)}
    categories = {p.product_id: p.category for p in products}
    out, first_row = {}, {}
    for i, row in rows:
        cells = _Cells(path.name, i, row)
        lang = cells.text("language")
        if lang not in LANGUAGES:
            raise cells.error("language", f"unknown language code '{lang}'; use one of {list(LANGUAGES)}.")
        text = normalize_query(cells.text("query"))
        if not text:
            raise cells.error("query", "empty text; every query needs a text.")
        ids = cells.items("relevant_ids")
        if not ids:
            raise cells.error("relevant_ids", "no relevant product id; give at least one.")
        seen = set()
        for pid in ids:
            if pid not in position:
                raise cells.error("relevant_ids", f"'{pid}' points at no product of the catalog.")
            if pid in seen:
                raise cells.error("relevant_ids", f"'{pid}' is listed twice; give each relevant id once (with "
                                                  "its one grade).")
            seen.add(pid)
        grades = _grades(cells, len(ids))
        qid = cells.text("query_id") or make_query_id(lang, text)
        key_column = "query_id" if cells.text("query_id") else "query"
        if qid in first_row:
            raise cells.error(key_column, f"duplicate query '{qid}' (first seen in row {first_row[qid]}).")
        first_row[qid] = i
        relevant = order_relevant(dict(zip(ids, grades)), position)
        out.setdefault(lang, []).append(
            LiraQuery(qid, lang, text, relevant, majority_category(relevant, categories), False, (text,), "log")
        )
    return out


def _grades(cells, count):
    """The `relevance` cell as `count` integers in [1, MAX_RELEVANCE] (all 1 when the cell is empty)."""
    raw = cells.row.get("relevance")
    if raw is None or raw == "":
        return [1] * count
    values = raw if isinstance(raw, (list, tuple)) else cells.items("relevance")
    grades = []
    for value in values:
        if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit() and len(value) <= 12:
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_RELEVANCE:
            grades = None
            break
        grades.append(value)
    if grades is None or len(grades) != count:
        raise cells.error("relevance", f"{_short(raw)} must be {count} integer(s) in [1, {MAX_RELEVANCE}], one per "
                                       "relevant id.")
    return grades
