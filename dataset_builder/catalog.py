"""Bring your own catalog: read and validate a product catalogue and an optional query log.

Formats: `.csv` (UTF-8, header row), `.jsonl` / `.json` (one object per line) or `.parquet`. List cells are
native lists (JSONL, Parquet), a JSON list string, or a `|`-separated string.

Catalog columns:
    product_id (required, unique), title_en (required, non-empty), keywords_en, category, split
    (train / validation / test, pins the product), emoji, and per language `title_<lang>` / `keywords_<lang>`
    for lang in vi th id ms fil ur bn (empty = not available).
Query-log columns:
    language (required), query (required, non-empty), relevant_ids (required, every id must be a catalog
    product_id), relevance (optional, one integer >= 1 per relevant id, defaults to 1), query_id (optional, unique).

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
        rows = list(enumerate(reader, start=1))
        return list(reader.fieldnames or []), rows
    if suffix in (".jsonl", ".json"):
        text = _decode(path, path.read_bytes(), header_lines=False)
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


def _text(value):
    return "" if value is None else str(value).strip()


def _list(value):
    """A list cell: native list, JSON list string or `|`-separated string."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [_text(v) for v in value if _text(v)]
    value = str(value).strip()
    if value.startswith("["):
        try:
            return [_text(v) for v in json.loads(value) if _text(v)]
        except json.JSONDecodeError:
            pass
    return [v.strip() for v in value.split("|") if v.strip()]


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
        pid = _text(row.get("product_id"))
        if not pid:
            raise _error(path.name, i, "product_id", "empty text; every product needs an id.")
        if pid in first_row:
            raise _error(path.name, i, "product_id", f"duplicate id '{pid}' (first seen in row {first_row[pid]}).")
        first_row[pid] = i
        title = _text(row.get("title_en"))
        if not title:
            raise _error(path.name, i, "title_en", "empty text; every product needs an English title.")
        split = _text(row.get("split")) or None
        if split is not None and split not in PRODUCT_SPLITS:
            raise _error(path.name, i, "split", f"'{split}' is not one of {list(PRODUCT_SPLITS)} (or empty).")
        products.append(
            LiraProduct(
                product_id=pid,
                title_en=title,
                keywords_en=_list(row.get("keywords_en")),
                category=_text(row.get("category")) or "uncategorized",
                titles={lang: _text(row.get(f"title_{lang}")) for lang in LANGUAGES},
                keywords={lang: _list(row.get(f"keywords_{lang}")) for lang in LANGUAGES},
                emoji=_text(row.get("emoji")),
                group=_text(row.get("category")) or "uncategorized",
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
        lang = _text(row.get("language"))
        if lang not in LANGUAGES:
            raise _error(path.name, i, "language", f"unknown language code '{lang}'; use one of {list(LANGUAGES)}.")
        text = normalize_query(_text(row.get("query")))
        if not text:
            raise _error(path.name, i, "query", "empty text; every query needs a text.")
        ids = _list(row.get("relevant_ids"))
        if not ids:
            raise _error(path.name, i, "relevant_ids", "no relevant product id; give at least one.")
        for pid in ids:
            if pid not in position:
                raise _error(path.name, i, "relevant_ids", f"'{pid}' points at no product of the catalog.")
        raw = row.get("relevance")
        grades = [1] * len(ids) if raw is None or raw == "" else _list(raw)
        try:
            grades = [int(g) for g in grades]
        except (TypeError, ValueError):
            raise _error(path.name, i, "relevance", f"{raw!r} must be integers >= 1, one per relevant id.") from None
        if len(grades) != len(ids) or any(g < 1 for g in grades):
            raise _error(path.name, i, "relevance", f"{raw!r} must be integers >= 1, one per relevant id.")
        qid = _text(row.get("query_id")) or make_query_id(lang, text)
        key_column = "query_id" if _text(row.get("query_id")) else "query"
        if qid in first_row:
            raise _error(path.name, i, key_column, f"duplicate query '{qid}' (first seen in row {first_row[qid]}).")
        first_row[qid] = i
        relevant = order_relevant(dict(zip(ids, grades)), position)
        out.setdefault(lang, []).append(
            LiraQuery(qid, lang, text, relevant, majority_category(relevant, categories), False, (text,), "log")
        )
    return out
