"""Bring your own catalog: read and validate a product catalogue and an optional query log.

Formats: `.csv` (UTF-8, header row), `.jsonl` / `.json` (one object per line, split at line feeds only; a `.json`
file may also hold one JSON array of objects) or `.parquet`. List cells are native lists (JSONL, Parquet), a JSON
list string, or a `|`-separated string. Text cells are strings (an integer id is read as its digits); any other
type (a dict, a list where text is expected, a boolean, a float) is refused. Limits: every text at most
`MAX_TEXT_CHARS` characters, a CSV field at most the csv module's limit (128 KiB), a JSON Lines line at most
`MAX_LINE_CHARS` characters (refused before it is parsed). A column or JSON key given twice is refused.

Catalog columns:
    product_id (required, unique), title_en (required, non-empty), keywords_en, category, split
    (train / validation / test, pins the product), emoji, and per language `title_<lang>` / `keywords_<lang>`
    for lang in vi th id ms fil ur bn (empty = not available).
Query-log columns:
    language (required), query (required, non-empty), relevant_ids (required, every id must be a catalog
    product_id, no id twice), relevance (optional, one integer in [1, 2**31 - 1] per relevant id, defaults to 1),
    query_id (optional, unique).

Every problem raises `ValueError` naming the file, the row (1-based data row; the header is row 0) and the column,
with the offending value (shortened) and the fix.
"""

import codecs
import csv
import json
import re
from pathlib import Path

import pyarrow as pa
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
MAX_LINE_CHARS = 2**20  # longest JSON Lines line (a row of ~20 capped texts fits many times over)
_MAX_NAME_CHARS = 60  # a column name in a message is cut to this


def _short(value, limit=60):
    """`repr(value)` cut to `limit` characters (a 50 MB cell does not make a 50 MB message)."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _error(name, row, column, problem):
    where = "header (row 0)" if row == 0 else f"row {row}"
    column = str(column)
    column = column if len(column) <= _MAX_NAME_CHARS else column[:_MAX_NAME_CHARS] + "..."
    return ValueError(f"{name}: {where}, column '{column}': {problem}")


class _BadJson(Exception):
    """A JSON text that cannot become rows: `problem`, the `column` (key) when known, the `line` within the text and
    the `fix` when the problem has its own (else the reader names the expected layout)."""

    def __init__(self, problem, column="?", line=1, fix=None):
        super().__init__(problem)
        self.problem, self.column, self.line, self.fix = problem, column, line, fix


def _unique_keys(pairs):
    out = {}
    for key, value in pairs:
        if key in out:
            raise _BadJson(f"the key {_short(key)} is given twice in one object", column=key, fix="keep one")
        out[key] = value
    return out


def _parse_json(text):
    """`json.loads(text)` that refuses a key given twice; every failure is a `_BadJson`."""
    try:
        return json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as err:
        raise _BadJson(f"not valid JSON ({err.msg})", line=err.lineno) from None
    except RecursionError:
        raise _BadJson("JSON nested too deeply (a cell is a text, an integer or a list of them)") from None
    except ValueError as err:  # e.g. an integer of over 4,300 digits
        raise _BadJson(f"not readable JSON ({str(err)[:120]})") from None


def _decode(path, data, header_lines):
    """UTF-8 text of a CSV/JSONL file; on a bad byte, names its row and (when it can) its column."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line_no = data[: err.start].count(b"\n")
        lines = data.decode("utf-8", errors="replace").split("\n")
        column = "?"
        try:
            if header_lines:
                header, fields = (next(csv.reader([lines[n].rstrip("\r")])) for n in (0, line_no))
                column = next((h for h, f in zip(header, fields) if "\ufffd" in f), column)
            else:
                obj = _parse_json(lines[line_no])
                column = next((k for k, v in obj.items() if "\ufffd" in json.dumps(v, ensure_ascii=False)), column)
        except (StopIteration, ValueError, IndexError, AttributeError, csv.Error, _BadJson):
            pass
        row = line_no + (0 if header_lines else 1)
        raise _error(path.name, row, column,
                     f"text is not valid UTF-8 (byte 0x{data[err.start]:02x}); re-save the file as UTF-8.") from None


def read_table(path):
    """Rows of a CSV, JSONL, JSON or Parquet file as `(columns, [(row number, dict)])`.

    Row numbers are 1-based: the data row for CSV (the header is row 0) and Parquet, the line for JSONL, the array
    item for a `.json` array.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No such file: {path}")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return _read_parquet(path)
    if suffix == ".csv":
        return _read_csv(path)
    if suffix == ".json" and _starts_with_bracket(path):
        return _json_array(path, _decode(path, path.read_bytes(), header_lines=False))
    if suffix in (".jsonl", ".json"):
        return _json_lines(path, _text_lines(path, newline="\n", header_lines=False))
    raise ValueError(f"{path.name}: unsupported format {_short(suffix)}; use .csv, .jsonl, .json or .parquet.")


def _read_parquet(path):
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as err:
        raise ValueError(f"{path.name}: not a readable Parquet file ({str(err)[:160]}); write it again with "
                         "pyarrow or pandas, or give a .csv / .jsonl file.") from None
    _check_unique(path.name, table.column_names)
    rows = table.to_pylist()
    for i, row in enumerate(rows, start=1):
        for key, value in row.items():
            if isinstance(value, bytes):
                try:
                    row[key] = value.decode("utf-8")
                except UnicodeDecodeError:
                    raise _error(path.name, i, key, "text is not valid UTF-8; re-encode the column.") from None
    return list(table.column_names), list(enumerate(rows, start=1))


def _text_lines(path, newline, header_lines):
    """The lines of a UTF-8 text file (a BOM skipped), read one at a time: a line over `MAX_LINE_CHARS` characters
    is refused after `MAX_LINE_CHARS + 1` of them are read, never read whole; a bad byte is named by `_decode`.

    Args:
        newline (`str`): `""` (CSV: lines end at `\\n`, `\\r` or `\\r\\n`) or `"\\n"` (JSON Lines: at `\\n` only).
        header_lines (`bool`): whether the first line is a header (row 0), for `_decode`.
    """
    try:
        with open(path, encoding="utf-8-sig", newline=newline) as file:
            number = 0
            while line := file.readline(MAX_LINE_CHARS + 1):
                number += 1
                if len(line) > MAX_LINE_CHARS and line[-1] not in "\r\n":
                    raise ValueError(f"{path.name}: line {number}: a line of over {MAX_LINE_CHARS:,} characters "
                                     f"({_short(line)}); shorten its texts (each at most {MAX_TEXT_CHARS:,} "
                                     "characters).")
                yield line
    except UnicodeDecodeError:
        _decode(path, path.read_bytes(), header_lines)  # raises, naming the row and column
        raise ValueError(f"{path.name}: text is not valid UTF-8; re-save the file as UTF-8.") from None


def _starts_with_bracket(path):
    """Whether a `.json` file's first non-blank character is `[` (one JSON array) rather than `{` (JSON Lines)."""
    with open(path, "rb") as file:
        chunk = file.read(4096).removeprefix(codecs.BOM_UTF8)
        while chunk:
            if chunk.lstrip():
                return chunk.lstrip().startswith(b"[")
            chunk = file.read(4096)
    return False


def _read_csv(path):
    reader = csv.DictReader(_text_lines(path, newline="", header_lines=True))
    rows = []
    try:
        _check_unique(path.name, reader.fieldnames or [])
        for i, row in enumerate(reader, start=1):
            if None in row:  # more fields than the header names
                raise _error(path.name, i, "?", f"{len(row[None])} more fields than the header's "
                             f"{len(reader.fieldnames)}; quote fields that hold a comma.")
            rows.append((i, row))
    except csv.Error as err:
        raise ValueError(f"{path.name}: line {reader.reader.line_num}: {err} (the csv module's limit is "
                         f"{csv.field_size_limit():,} characters a field; texts here may have at most "
                         f"{MAX_TEXT_CHARS:,}); shorten the field or check its quotes.") from None
    return list(reader.fieldnames or []), rows


def _json_lines(path, lines):
    """Rows of JSON Lines: one object per line, lines split at line feeds only (a JSON string may hold U+2028)."""
    rows = []
    for i, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = _parse_json(line)
        except _BadJson as err:
            fix = err.fix or "JSON Lines expected (one object per line), or a .json file holding one JSON array"
            raise _error(path.name, i, err.column, f"{err.problem}; {fix}.") from None
        if not isinstance(row, dict):
            raise _error(path.name, i, "?", f"got {type(row).__name__} {_short(row)}; each line must be a JSON "
                                            "object.")
        rows.append((i, row))
    return _columns(rows), rows


def _columns(rows):
    """The columns of object rows: every key, in order of first appearance."""
    return list(dict.fromkeys(key for _, row in rows for key in row))


def _json_array(path, text):
    """Rows of a `.json` file holding one JSON array of objects (numbered from 1 in array order)."""
    try:
        items = _parse_json(text)
    except _BadJson as err:
        fix = err.fix or "give one JSON array of objects, or JSON Lines (one object per line)"
        raise ValueError(f"{path.name}: line {err.line}: {err.problem}; {fix}.") from None
    rows = []
    for i, row in enumerate(items, start=1):
        if not isinstance(row, dict):
            raise _error(path.name, i, "?", f"array item {i} is a {type(row).__name__} ({_short(row)}); each must "
                                            "be a JSON object.")
        rows.append((i, row))
    return _columns(rows), rows


def _check_unique(name, columns):
    """Refuses a column named twice (a CSV header or Parquet schema would silently keep one of them)."""
    seen = set()
    for column in columns:
        if column in seen and column:  # unnamed columns (trailing commas of a spreadsheet export) are ignored
            raise _error(name, 0, column, "the column is named twice; rename or drop one.")
        seen.add(column)


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
                    value = _parse_json(value)
                except _BadJson:
                    pass  # not a JSON list: read as a `|`-separated text
            if isinstance(value, str):
                return [v.strip() for v in value.split("|") if v.strip()]
            if not isinstance(value, list):
                raise self.error(column, f"expected a list, got {_short(value)}.")
        return [t for t in (self._scalar(column, v) for v in value if v is not None) if t]


def _check_columns(name, columns, required, optional, language_columns):
    for column in required:
        if column not in columns:
            raise _error(name, 0, column, f"required column is missing (found {_short(list(columns), 200)}).")
    for column in columns:
        match = _LANG_COLUMN.match(column)
        if language_columns and match and match.group(2) != "en" and match.group(2) not in LANGUAGES:
            raise _error(name, 0, column,
                         f"unknown language code {_short(match.group(2))}; use one of {list(LANGUAGES)}.")  # fmt: skip


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
            raise cells.error("product_id", f"duplicate id {_short(pid)} (first seen in row {first_row[pid]}).")
        first_row[pid] = i
        title = cells.text("title_en")
        if not title:
            raise cells.error("title_en", "empty text; every product needs an English title.")
        split = cells.text("split") or None
        if split is not None and split not in PRODUCT_SPLITS:
            raise cells.error("split", f"{_short(split)} is not one of {list(PRODUCT_SPLITS)} (or empty).")
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
            raise cells.error("language", f"unknown language code {_short(lang)}; use one of {list(LANGUAGES)}.")
        text = normalize_query(cells.text("query"))
        if not text:
            raise cells.error("query", "empty text; every query needs a text.")
        ids = cells.items("relevant_ids")
        if not ids:
            raise cells.error("relevant_ids", "no relevant product id; give at least one.")
        seen = set()
        for pid in ids:
            if pid not in position:
                raise cells.error("relevant_ids", f"{_short(pid)} points at no product of the catalog; fix the id "
                                                  "or add the product.")
            if pid in seen:
                raise cells.error("relevant_ids", f"{_short(pid)} is listed twice; give each relevant id once (with "
                                                  "its one grade).")
            seen.add(pid)
        grades = _grades(cells, len(ids))
        qid = cells.text("query_id") or make_query_id(lang, text)
        key_column = "query_id" if cells.text("query_id") else "query"
        if qid in first_row:
            raise cells.error(key_column, f"duplicate query {_short(qid)} (first seen in row {first_row[qid]}); "
                                          "give each query once.")
        first_row[qid] = i
        relevant = order_relevant(dict(zip(ids, grades)), position)
        out.setdefault(lang, []).append(
            LiraQuery(qid, lang, text, relevant, majority_category(relevant, categories), False, (text,), "log")
        )
    return out


def _grade(value):
    """`value` as an integer grade in [1, MAX_RELEVANCE] (a string of digits is read), else `None`."""
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit() and len(value.strip()) <= 12:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_RELEVANCE:
        return None
    return value


def _grade_values(raw):
    """The grades of a `relevance` cell as given: a list, a JSON list string, a `|`-separated string or one value."""
    if isinstance(raw, (list, tuple)):
        return list(raw)
    if isinstance(raw, str):
        try:
            parsed = _parse_json(raw) if raw.startswith("[") else None
        except _BadJson:
            parsed = None
        return parsed if isinstance(parsed, list) else [v for v in raw.split("|") if v.strip()]
    return [raw]  # an int, or a float / dict / bool that `_grade` refuses


def _grades(cells, count):
    """The `relevance` cell as `count` integers in [1, MAX_RELEVANCE] (all 1 when the cell is empty).

    A list (native, JSON or `|`-separated) gives one grade per relevant id; a bare integer is one grade.
    """
    raw = cells.row.get("relevance")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return [1] * count
    values = _grade_values(cells.text("relevance") if isinstance(raw, str) else raw)
    grades = [_grade(v) for v in values]
    bad = [v for v, g in zip(values, grades) if g is None]
    if bad or len(grades) != count:
        detail = f"{_short(bad[0])} is not an integer" if bad else f"{len(grades)} grade(s) for {count} id(s)"
        raise cells.error("relevance", f"got {_short(raw)} ({detail}); fix: give {count} integer(s) in [1, "
                                       f"{MAX_RELEVANCE}], one per relevant id (or leave it empty: grade 1).")
    return grades
