"""Fuzz and probes of the catalogue and query-log reader (`dataset_builder.catalog`): generated cells, rows and files
(JSON Lines, a JSON array, CSV, Parquet, raw bytes) give validated products and queries that agree with the input,
or a `ValueError` that names the file; any other exception fails. Then one test per hostile input of the issue (CSV
field limit, huge texts, huge or fractional grades, duplicate ids and keys, non-text cells, a JSON array, deep
nesting, markup in the card, non-finite split fractions, a folder with a space for npm)."""

import csv
import json
import subprocess
import tracemalloc

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from dataset_builder import catalog as catalog_module
from dataset_builder import sources
from dataset_builder.__main__ import main
from dataset_builder.card import make_card, plain
from dataset_builder.catalog import MAX_LINE_CHARS, MAX_RELEVANCE, MAX_TEXT_CHARS, read_catalog, read_query_log
from dataset_builder.schema import QUERY_SPLITS
from dataset_builder.splits import check_fractions
from tests.fixtures_data import CATALOG_CSV

CHARS = st.characters(codec="utf-8", exclude_categories=("Cs",))
TEXT = st.one_of(
    st.text(CHARS, max_size=12),
    st.text(st.characters(categories=("Cc", "Cf", "Zs", "Zl", "Zp")), max_size=4),  # controls, U+2028, spaces
    st.sampled_from(["p1", "p2", "", " ", '["p1", "p2"]', "p1|p2", "p1|p1", "1|2", "0", "99999999999999999999",
                     "<b>cat</b>", "a|b", "train", "test", "vi", "th", "[[[", "[1e400]", "[true]"]),
    st.builds(lambda piece, n: piece * n, st.text(CHARS, min_size=1, max_size=4), st.integers(2_000, 4_000)),  # <= 16k
)  # fmt: skip
NOT_TEXT = st.one_of(
    st.integers(-(2**70), 2**70), st.floats(allow_nan=True), st.booleans(), st.none(),
    st.lists(st.one_of(st.text(max_size=5), st.integers(0, 3), st.none(), st.booleans()), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)  # fmt: skip
CELL = st.one_of(TEXT, NOT_TEXT)
WORD = st.text(CHARS, min_size=1, max_size=12)


def rarely(one_in):
    """True one time in `one_in` (`st.integers` would favour its bounds)."""
    return st.sampled_from([False] * (one_in - 1) + [True])


def mostly(valid, hostile=CELL, one_in=10):
    """`valid`, but `hostile` one time in `one_in` (each cell of a row is hostile on its own)."""
    return rarely(one_in).flatmap(lambda bad: hostile if bad else valid)


PRODUCT_ROW = st.fixed_dictionaries(
    {"product_id": mostly(st.uuids().map(str) | st.integers(0, 2**40)), "title_en": mostly(WORD)},
    optional={"keywords_en": mostly(st.lists(WORD, max_size=3) | WORD), "category": mostly(WORD),
              "split": mostly(st.sampled_from(["train", "validation", "test", ""])), "title_vi": mostly(WORD),
              "keywords_th": mostly(st.lists(WORD, max_size=3))},
)  # fmt: skip
COLUMNS = ["product_id", "title_en", "keywords_en", "category", "split", "title_vi", "keywords_th"]
TEXT_COLUMNS = ("product_id", "title_en", "category", "split", "title_vi")
QUERY_COLUMNS = ["language", "query", "relevant_ids", "relevance", "query_id"]
IDS = st.lists(st.sampled_from(["p1", "p2"]), min_size=1, max_size=2, unique=True)
QUERY_ROW = st.fixed_dictionaries(
    {"language": mostly(st.sampled_from(["vi", "th"])), "query": mostly(WORD),
     "relevant_ids": mostly(IDS | st.sampled_from(["p1", "p2", "p1|p2", '["p2"]', "p2 | p1"]))},
    optional={"relevance": mostly(st.lists(st.integers(1, 3), min_size=1, max_size=2) | st.sampled_from(["2", "1|2"])),
              "query_id": mostly(st.uuids().map(str))},
)  # fmt: skip
PRODUCTS = [{"product_id": "p1", "title_en": "shoe"}, {"product_id": "p2", "title_en": "cup"}]


def _write_jsonl(path, rows):
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    return path


def _write(tmp_path, rows, layout):
    """`rows` as `catalog.jsonl` (one object per line) or `catalog.json` (one JSON array)."""
    if layout == "array":
        path = tmp_path / "catalog.json"
        path.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
        return path
    return _write_jsonl(tmp_path / "catalog.jsonl", rows)


def _catalog(tmp_path):
    return read_catalog(_write_jsonl(tmp_path / "products.jsonl", PRODUCTS))


def _result_or_named_error(fn, path):
    """`fn()`, or `None` when it raised a `ValueError` naming `path`'s file (any other exception propagates)."""
    try:
        result = fn()
    except ValueError as err:
        assert path.name in str(err), err
        assert len(str(err)) < 1200, f"message not shortened: {len(str(err))} characters"
        event("refused")
        return None
    event("read")
    return result


def _is_text(value):
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


@given(st.lists(mostly(PRODUCT_ROW, st.dictionaries(st.sampled_from(COLUMNS), CELL, min_size=1)), min_size=1,
                max_size=4), st.sampled_from(["lines", "array"]))
def test_any_catalogue_rows_give_products_or_a_named_value_error(tmp_path, rows, layout):
    path = _write(tmp_path, rows, layout)
    products = _result_or_named_error(lambda: read_catalog(path), path)
    if products is None:
        return
    assert len(products) == len(rows) and len({p.product_id for p in products}) == len(products)
    for row, product in zip(rows, products):
        for column in TEXT_COLUMNS:  # a dict, list, bool or float where text is expected is never stored
            assert row.get(column) is None or _is_text(row[column]), (column, row[column])
        assert product.title_en == str(row["title_en"]).strip() and len(product.title_en) <= MAX_TEXT_CHARS
        assert product.product_id == str(row["product_id"]).strip()
        assert all(isinstance(k, str) and k.strip() == k and k for k in product.keywords_en)
        if isinstance(row.get("keywords_en"), list):
            assert all(k is None or _is_text(k) for k in row["keywords_en"])


@given(st.lists(mostly(QUERY_ROW, st.dictionaries(st.sampled_from(QUERY_COLUMNS), CELL, min_size=1)), min_size=1,
                max_size=4))
def test_any_query_log_rows_give_queries_or_a_named_value_error(tmp_path, rows):
    products = _catalog(tmp_path)
    path = _write_jsonl(tmp_path / "queries.jsonl", rows)
    queries = _result_or_named_error(lambda: read_query_log(path, products), path)
    if queries is None:
        return
    assert sum(len(items) for items in queries.values()) == len(rows)
    for row in rows:
        assert all(row.get(c) is None or _is_text(row[c]) for c in ("language", "query", "query_id"))
    for lang, items in queries.items():
        for q in items:
            assert q.relevant and q.language == lang and q.query
            assert all(pid in ("p1", "p2") and 1 <= g <= MAX_RELEVANCE for pid, g in q.relevant.items())


GRADE = st.one_of(st.integers(1, 3), st.integers(-3, 2**70), st.floats(allow_nan=True), st.booleans(),
                  st.sampled_from(["2", " 1 ", "1e3", "", str(2**31), str(MAX_RELEVANCE)]))  # fmt: skip


@st.composite
def graded_ids(draw):
    """`(relevant ids, relevance or None)`: mostly distinct catalog ids with one valid grade each."""
    ids = draw(mostly(IDS, st.lists(st.sampled_from(["p1", "p2", "p3", 1]), max_size=3), one_in=4))
    valid = st.lists(st.integers(1, MAX_RELEVANCE) | st.integers(1, 3), min_size=len(ids), max_size=len(ids))
    return ids, draw(st.none() | mostly(valid, st.lists(GRADE, max_size=3) | GRADE, one_in=4))


@given(st.lists(graded_ids(), min_size=1, max_size=4))
def test_relevant_ids_and_grades_are_kept_exactly_or_refused(tmp_path, items):
    """No id silently merged, no grade lost or changed: each query keeps exactly the ids and grades it was given."""
    rows = [{"query_id": f"q{i}", "language": "vi", "query": f"giày {i}", "relevant_ids": ids,
             **({} if relevance is None else {"relevance": relevance})} for i, (ids, relevance) in enumerate(items)]
    path = _write_jsonl(tmp_path / "queries.jsonl", rows)
    queries = _result_or_named_error(lambda: read_query_log(path, _catalog(tmp_path)), path)
    if queries is None:
        return
    for q, (ids, relevance) in zip(queries["vi"], items):
        assert sorted(q.relevant) == sorted(ids) and len(set(ids)) == len(ids)  # no duplicate got through
        grades = relevance if isinstance(relevance, list) else [relevance]
        if relevance is None or relevance == "":
            assert set(q.relevant.values()) == {1}
        else:  # every given grade was an integer (or its digits) in range, and is kept as given
            assert all(not isinstance(g, (bool, float)) for g in grades)
            assert dict(zip(ids, (int(str(g).strip()) for g in grades))) == q.relevant


@given(st.lists(st.tuples(TEXT, TEXT, TEXT), min_size=1, max_size=4))
def test_any_csv_cells_give_products_or_a_named_value_error(tmp_path, rows):
    """Quotes, commas, line breaks, pipes and markup in CSV cells are read back exactly (stripped) or refused."""
    path = tmp_path / "catalog.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["product_id", "title_en", "category"])
        writer.writerows(rows)
    products = _result_or_named_error(lambda: read_catalog(path), path)
    if products is not None:
        assert [(p.product_id, p.title_en) for p in products] == [(i.strip(), t.strip()) for i, t, _ in rows]
        assert [p.category for p in products] == [c.strip() or "uncategorized" for _, _, c in rows]


PARQUET_TYPES = st.sampled_from([WORD, st.integers(-(2**63), 2**63 - 1), st.floats(allow_nan=True), st.booleans(),
                                 st.lists(WORD, max_size=2), st.binary(max_size=4), st.uuids().map(str)])


@st.composite
def parquet_rows(draw):
    """Rows of one Parquet table: each column has one type (a text most of the time), any cell may be null."""
    columns = ["product_id", "title_en", *draw(st.lists(st.sampled_from(COLUMNS[2:]), unique=True, max_size=3))]
    kinds = {c: draw(mostly(st.just(st.uuids().map(str) if c == "product_id" else WORD), PARQUET_TYPES, 4))
             for c in columns}  # fmt: skip
    n = draw(st.integers(1, 4))
    return [{c: draw(mostly(kinds[c], st.none(), 8)) for c in columns} for _ in range(n)]


@given(parquet_rows())
def test_any_parquet_table_gives_products_or_a_named_value_error(tmp_path, rows):
    path = tmp_path / "catalog.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    products = _result_or_named_error(lambda: read_catalog(path), path)
    if products is not None:
        for row, product in zip(rows, products, strict=True):
            assert all(row.get(c) is None or _is_text(row[c]) or isinstance(row[c], bytes) for c in TEXT_COLUMNS)
            assert product.title_en == (row["title_en"].decode() if isinstance(row["title_en"], bytes)
                                        else str(row["title_en"])).strip()  # fmt: skip


@given(st.binary(max_size=300))
def test_any_bytes_give_a_catalogue_or_a_named_value_error(tmp_path, data):
    for suffix in ("csv", "jsonl", "json", "parquet"):
        path = tmp_path / f"catalog.{suffix}"
        path.write_bytes(data)
        _result_or_named_error(lambda: read_catalog(path), path)


# --- one test per hostile input ------------------------------------------------------------------------------------


def test_a_csv_field_over_the_limit_names_its_line(tmp_path):
    path = tmp_path / "catalog.csv"
    path.write_text("product_id,title_en\np1,shoe\np2,\"" + "x" * (csv.field_size_limit() + 10) + "\"\n",
                    encoding="utf-8")  # fmt: skip
    with pytest.raises(ValueError, match=r"catalog\.csv: line 3: .*131,072 characters a field.*shorten the field"):
        read_catalog(path)


def test_a_csv_field_over_the_limit_in_a_file_with_a_bad_byte_is_named(tmp_path):
    path = tmp_path / "catalog.csv"
    path.write_bytes(b"product_id,title_en\np1,\xff" + b"x" * (csv.field_size_limit() + 10) + b"\n")
    with pytest.raises(ValueError, match=r"catalog\.csv: row 1, column '\?': text is not valid UTF-8 \(byte 0xff\)"):
        read_catalog(path)


def test_a_title_over_the_cap_is_refused(tmp_path):
    path = _write_jsonl(tmp_path / "catalog.jsonl", [{"product_id": "p1", "title_en": "x" * (MAX_TEXT_CHARS + 1)}])
    with pytest.raises(ValueError, match=r"row 1, column 'title_en': text of 10,001 characters, over the 10,000 "
                                         r"allowed \('xxx.*\.\.\.\); shorten it"):  # fmt: skip
        read_catalog(path)


def test_a_50_mb_title_is_refused_before_its_line_is_parsed(tmp_path, monkeypatch):
    path = _write_jsonl(tmp_path / "catalog.jsonl", [PRODUCTS[0], {"product_id": "p2", "title_en": "x" * 50_000_000}])
    monkeypatch.setattr(catalog_module.json, "loads", _parse_only_small)
    with pytest.raises(ValueError, match=rf"catalog\.jsonl: line 2: a line of over {MAX_LINE_CHARS:,} characters "
                                         r"\('\{\"product_id\": \"p2\".*\.\.\.\); shorten its texts"):  # fmt: skip
        read_catalog(path)


@pytest.mark.parametrize("suffix", ["csv", "jsonl"])
def test_a_50_mb_title_is_refused_without_reading_it_whole(tmp_path, suffix):
    path = tmp_path / f"catalog.{suffix}"
    with open(path, "w", encoding="utf-8") as f:
        f.write("product_id,title_en\np1," if suffix == "csv" else '{"product_id": "p1", "title_en": "')
        for _ in range(50):
            f.write("x" * 1_000_000)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=rf"catalog\.{suffix}: line \d: "):
            read_catalog(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20, f"{peak / 2**20:.0f} MiB held while refusing a 50 MB title"


def _parse_only_small(text, loads=json.loads, **kwargs):
    assert len(text) <= MAX_LINE_CHARS, "a line over the limit was parsed"
    return loads(text, **kwargs)


@pytest.mark.parametrize("relevance", [10**30, 2**31, 0, -1, "1e3", 2.5, True, [2.0], [None]])
def test_relevance_must_be_an_int32_grade(tmp_path, relevance):
    grades = relevance if isinstance(relevance, list) else [relevance]
    path = _write_jsonl(tmp_path / "queries.jsonl",
                        [{"language": "vi", "query": "giày", "relevant_ids": ["p1"], "relevance": grades}])
    with pytest.raises(ValueError, match=rf"row 1, column 'relevance': got .* is not an integer\); fix: give 1 "
                                         rf"integer\(s\) in \[1, {MAX_RELEVANCE}\]"):  # fmt: skip
        read_query_log(path, _catalog(tmp_path))


def test_a_bare_fractional_grade_is_refused_as_not_an_integer(tmp_path):
    path = _write_jsonl(tmp_path / "queries.jsonl",
                        [{"language": "vi", "query": "giày", "relevant_ids": "p1", "relevance": 2.0}])
    with pytest.raises(ValueError, match=r"row 1, column 'relevance': got 2\.0 \(2\.0 is not an integer\)"):
        read_query_log(path, _catalog(tmp_path))


def test_the_largest_grade_is_read(tmp_path):
    path = _write_jsonl(tmp_path / "queries.jsonl",
                        [{"language": "vi", "query": "giày", "relevant_ids": "p1|p2",
                          "relevance": f"{MAX_RELEVANCE}|1"}])  # fmt: skip
    (query,) = read_query_log(path, _catalog(tmp_path))["vi"]
    assert query.relevant == {"p1": MAX_RELEVANCE, "p2": 1}


def test_a_relevant_id_listed_twice_is_refused(tmp_path):
    path = _write_jsonl(tmp_path / "queries.jsonl",
                        [{"language": "vi", "query": "giày", "relevant_ids": ["p1", "p1"], "relevance": [2, 1]}])
    with pytest.raises(ValueError, match=r"row 1, column 'relevant_ids': 'p1' is listed twice; give each relevant id"):
        read_query_log(path, _catalog(tmp_path))


@pytest.mark.parametrize("cell, kind", [({"a": 1}, "dict"), (True, "bool"), (1.5, "float"), ([["x"]], "list")])
def test_a_cell_of_the_wrong_type_is_refused(tmp_path, cell, kind):
    column = "keywords_en" if kind == "list" else "category"  # a list where a list is expected holds lists
    path = _write_jsonl(tmp_path / "catalog.jsonl", [{"product_id": "p1", "title_en": "shoe", column: cell}])
    with pytest.raises(ValueError, match=rf"row 1, column '{column}': expected text, got {kind}"):
        read_catalog(path)


@pytest.mark.parametrize("column, cell", [("language", True), ("query", {"q": 1}), ("query_id", ["q"])])
def test_a_query_cell_of_the_wrong_type_is_refused(tmp_path, column, cell):
    row = {"language": "vi", "query": "giày", "relevant_ids": ["p1"], column: cell}
    path = _write_jsonl(tmp_path / "queries.jsonl", [row])
    with pytest.raises(ValueError, match=rf"row 1, column '{column}': expected text, got {type(cell).__name__}"):
        read_query_log(path, _catalog(tmp_path))


def test_an_integer_id_is_read_as_its_digits(tmp_path):
    path = _write_jsonl(tmp_path / "catalog.jsonl", [{"product_id": 7, "title_en": "shoe"}])
    assert read_catalog(path)[0].product_id == "7"


def test_a_json_array_file_is_read(tmp_path):
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(PRODUCTS, indent=2))
    assert [p.product_id for p in read_catalog(path)] == ["p1", "p2"]
    path.write_text(json.dumps([PRODUCTS[0], 5]))
    with pytest.raises(ValueError, match=r"row 2, column '\?': array item 2 is a int \(5\); each must be a JSON "
                                         r"object"):  # fmt: skip
        read_catalog(path)


def test_one_pretty_printed_object_asks_for_json_lines(tmp_path):
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(PRODUCTS[0], indent=2))
    with pytest.raises(ValueError, match=r"catalog\.json: row 1, column '\?': not valid JSON .*JSON Lines expected "
                                         r"\(one object per line\), or a \.json file holding one JSON array"):
        read_catalog(path)


@pytest.mark.parametrize("layout", ["lines", "array"])
def test_deeply_nested_json_is_a_value_error(tmp_path, layout):
    path = tmp_path / ("catalog.jsonl" if layout == "lines" else "catalog.json")
    path.write_text("[" * 100_000)
    with pytest.raises(ValueError, match=rf"{path.name}: (row|line) 1.*JSON nested too deeply"):
        read_catalog(path)


def test_an_integer_of_5000_digits_is_named(tmp_path):
    path = tmp_path / "catalog.jsonl"
    path.write_text('{"product_id": ' + "1" * 5000 + ', "title_en": "shoe"}')
    with pytest.raises(ValueError, match=r"catalog\.jsonl: row 1, column '\?': not readable JSON \(Exceeds the limit"):
        read_catalog(path)


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85"])  # str.splitlines splits at these
def test_a_json_string_may_hold_unicode_line_separators(tmp_path, separator):
    title = f"shoe{separator}lace"
    path = _write_jsonl(tmp_path / "catalog.jsonl", [{"product_id": "p1", "title_en": title}, PRODUCTS[1]])
    assert [p.title_en for p in read_catalog(path)] == [title, "cup"]


def test_a_json_key_given_twice_is_refused(tmp_path):
    path = tmp_path / "catalog.jsonl"
    path.write_text('{"product_id": "p1", "title_en": "shoe", "title_en": "boot"}\n')
    with pytest.raises(ValueError, match=r"row 1, column 'title_en': the key 'title_en' is given twice in one object; "
                                         r"keep one\."):  # fmt: skip
        read_catalog(path)


def test_a_csv_column_named_twice_is_refused(tmp_path):
    path = tmp_path / "catalog.csv"
    path.write_text("product_id,title_en,category,title_en,,\np1,shoe,x,boot,,\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"header \(row 0\), column 'title_en': the column is named twice"):
        read_catalog(path)


def test_a_file_that_is_not_parquet_is_named(tmp_path):
    path = tmp_path / "catalog.parquet"
    path.write_bytes(b"PAR1 not really")
    with pytest.raises(ValueError, match=r"catalog\.parquet: not a readable Parquet file"):
        read_catalog(path)


def test_a_parquet_struct_cell_is_refused(tmp_path):
    path = tmp_path / "catalog.parquet"
    pq.write_table(pa.Table.from_pylist([{"product_id": "p1", "title_en": {"text": "shoe"}}]), path)
    with pytest.raises(ValueError, match=r"catalog\.parquet: row 1, column 'title_en': expected text, got dict"):
        read_catalog(path)


def test_messages_shorten_long_values(tmp_path):
    long_id = "q" * MAX_TEXT_CHARS
    path = _write_jsonl(tmp_path / "queries.jsonl", [{"language": "vi", "query": "giày", "relevant_ids": [long_id]}])
    with pytest.raises(ValueError, match=r"column 'relevant_ids': 'qqq.*\.\.\. points at no product") as err:
        read_query_log(path, _catalog(tmp_path))
    assert len(str(err.value)) < 300


# --- the card, the split fractions, the npm call -------------------------------------------------------------------


def _catalog_stats():
    """The smallest `lira_build.json` of a catalog build that `make_card` renders, with hostile user text."""
    splits = {s: {"rows": 1, "composed": 0} for s in QUERY_SPLITS}
    return {
        "builder": "catalog", "languages": ["vi"], "queries": {"vi": splits}, "seed": 13, "num_candidates": 2,
        "catalog": "<b>shop</b>.csv", "query_origin": "the user's query log `<i>q</i>.jsonl` (graded relevance)",
        "pretty_name": "<script>x</script> | shop", "max_queries_per_language": 10,
        "products": {"total": 3, "train": 1, "validation": 1, "test": 1},
        "categories": {"<b>cat</b>": 2, "a|b\nc": 1}, "real_queries": {"vi": 4}, "dropped_cross_split": {"vi": 0},
        "sources": [{"name": "catalog `<b>shop</b>.csv`", "version": "-", "license": "mit|<i>x</i>",
                     "use": "products"}],
        "candidate_sources": {"aligned_name": 4}, "critic": {"description": "Judge '<img src=x>'\nPrompt: q"},
        "leak_meter": {}, "noise": {"vi": {"typo": 1}}, "noisy_candidates": {}, "romanizers": {},
        "split_fractions": {"train": 0.7, "validation": 0.1, "test": 0.2},
    }  # fmt: skip


def test_card_text_is_inert_markdown():
    assert plain("<b>cat</b> | x\n`y`") == "&lt;b&gt;cat&lt;/b&gt; \\| x 'y'"
    text = make_card(_catalog_stats()).text
    for raw in ("<b>", "<i>", "<script>", "<img", "a|b", "mit|"):
        assert raw not in text, raw
    assert "&lt;b&gt;cat&lt;/b&gt; 2, a\\|b c 1" in text  # the category counts, escaped, one line
    assert "| catalog `&lt;b&gt;shop&lt;/b&gt;.csv` | - | mit\\|&lt;i&gt;x&lt;/i&gt; | products |" in text
    assert "# &lt;script&gt;x&lt;/script&gt; \\| shop" in text


def test_card_refuses_a_repo_id_that_would_break_its_snippet():
    with pytest.raises(ValueError, match="Repo id must"):
        make_card(_catalog_stats(), repo_id='org/x"); import os; ("')


@pytest.mark.parametrize("fractions", [(0.5, 0.5, float("nan")), (float("nan"), 0.5, 0.5), (float("inf"), 0, 0),
                                       (-0.1, 0.6, 0.5)])  # fmt: skip
def test_split_fractions_must_be_finite_and_non_negative(fractions):
    with pytest.raises(ValueError, match=r"split fraction \w+=.* must be a finite number >= 0 \(--split-fractions"):
        check_fractions(dict(zip(("train", "validation", "test"), fractions)))


@pytest.mark.parametrize("fractions", [["nan", "0.5", "0.5"], ["0.5", "0.5", "nan"]])
def test_cli_refuses_nan_split_fractions_before_any_work(tmp_path, capsys, fractions):
    catalog = tmp_path / "catalog.csv"
    catalog.write_text(CATALOG_CSV, encoding="utf-8")
    out = tmp_path / "out"
    argv = ["build", "--out", str(out), "--catalog", str(catalog), "--split-fractions", *fractions, "--quiet"]
    assert main(argv) == 1 and not out.exists()
    assert "=nan must be a finite number >= 0 (--split-fractions TRAIN VAL TEST" in capsys.readouterr().err


def _fake_npm(calls, returncode=0):
    def run(argv, **kwargs):
        assert "shell" not in kwargs or not kwargs["shell"]
        calls.append(argv)
        return subprocess.CompletedProcess(argv, returncode)

    return run


def test_npm_is_called_with_one_argument_per_path(tmp_path, monkeypatch):
    """A folder with a space is one argument of the `npm` call (no shell, no string split)."""
    calls = []
    monkeypatch.setattr(subprocess, "run", _fake_npm(calls))
    folder = tmp_path / "my npm dir"
    with pytest.raises(FileNotFoundError, match="my npm dir"):
        sources.ensure_sources(folder, install=True)  # the fake npm installs nothing
    packages = [f"{name}@{version}" for name, version in sources.NPM_PACKAGES.items()]
    assert calls == [["npm", "install", "--prefix", str(folder), *packages]] == [sources.install_argv(folder)]
    assert f"'{folder}'" in sources.install_command(folder)  # the printed command is quoted for the shell


def test_a_failing_or_missing_npm_is_named(tmp_path, monkeypatch):
    monkeypatch.setattr(subprocess, "run", _fake_npm([], returncode=3))
    with pytest.raises(FileNotFoundError, match=r"\(npm exited with status 3\)\. Install them with"):
        sources.ensure_sources(tmp_path / "npm", install=True)

    def no_npm(argv, **kwargs):
        raise FileNotFoundError(2, "No such file or directory", "npm")

    monkeypatch.setattr(subprocess, "run", no_npm)
    with pytest.raises(FileNotFoundError, match=r"\(npm could not be started: .*'npm'\)\. Install them with"):
        sources.ensure_sources(tmp_path / "npm", install=True)
