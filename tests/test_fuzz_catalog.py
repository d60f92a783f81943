"""Fuzz and probes of the catalogue and query-log reader (`dataset_builder.catalog`): generated cells, rows and files
give validated products and queries or a `ValueError` that names the file; any other exception fails. Then one test
per hostile input the issue found (CSV field limit, huge relevance, duplicate ids, non-text cells, a JSON array, a
huge title) and the card's escaping of user text."""

import csv
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataset_builder.card import plain
from dataset_builder.catalog import MAX_RELEVANCE, MAX_TEXT_CHARS, read_catalog, read_query_log

CELL = st.one_of(
    st.text(max_size=12), st.integers(-(2**70), 2**70), st.floats(allow_nan=True), st.booleans(), st.none(),
    st.lists(st.one_of(st.text(max_size=5), st.integers(0, 3), st.none()), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.sampled_from(["p1", "p2", "", " ", "[\"p1\", \"p2\"]", "p1|p2", "p1|p1", "1|2", "0", "99999999999999999999",
                     "<b>cat</b>", "train", "test", "vi", "th"]),
)
COLUMNS = ["product_id", "title_en", "keywords_en", "category", "split", "title_vi", "keywords_th"]
QUERY_COLUMNS = ["language", "query", "relevant_ids", "relevance", "query_id"]
FUZZ = settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _write_jsonl(path, rows):
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")


def _catalog(tmp_path):
    path = tmp_path / "catalog.jsonl"
    _write_jsonl(path, [{"product_id": "p1", "title_en": "shoe"}, {"product_id": "p2", "title_en": "cup"}])
    return read_catalog(path)


def _safe(fn):
    try:
        return fn()
    except ValueError as err:
        assert ".jsonl" in str(err) or ".json" in str(err), err  # the file is named
        return None


@FUZZ
@given(st.lists(st.dictionaries(st.sampled_from(COLUMNS), CELL, min_size=1), min_size=1, max_size=4))
def test_any_catalogue_rows_give_products_or_a_named_value_error(tmp_path, rows):
    path = tmp_path / "catalog.jsonl"
    _write_jsonl(path, rows)
    products = _safe(lambda: read_catalog(path))
    if products is not None:
        assert len(products) == len(rows) and len({p.product_id for p in products}) == len(products)
        for p in products:
            assert isinstance(p.title_en, str) and p.title_en and len(p.title_en) <= MAX_TEXT_CHARS
            assert all(isinstance(k, str) and k for k in p.keywords_en)


@FUZZ
@given(st.lists(st.dictionaries(st.sampled_from(QUERY_COLUMNS), CELL, min_size=1), min_size=1, max_size=4))
def test_any_query_log_rows_give_queries_or_a_named_value_error(tmp_path, rows):
    products = _catalog(tmp_path)
    path = tmp_path / "queries.jsonl"
    _write_jsonl(path, rows)
    queries = _safe(lambda: read_query_log(path, products))
    if queries is not None:
        for lang, items in queries.items():
            for q in items:
                assert q.relevant and q.language == lang and q.query
                assert all(pid in ("p1", "p2") and 1 <= g <= MAX_RELEVANCE for pid, g in q.relevant.items())


@FUZZ
@given(st.binary(max_size=300))
def test_any_bytes_give_a_catalogue_or_a_named_value_error(tmp_path, data):
    for suffix in ("csv", "jsonl", "json"):
        path = tmp_path / f"catalog.{suffix}"
        path.write_bytes(data)
        try:
            read_catalog(path)
        except ValueError as err:
            assert path.name in str(err), err


def test_a_csv_field_over_the_limit_names_its_line(tmp_path):
    path = tmp_path / "catalog.csv"
    path.write_text("product_id,title_en\np1,shoe\np2,\"" + "x" * (csv.field_size_limit() + 10) + "\"\n",
                    encoding="utf-8")
    with pytest.raises(ValueError, match=r"catalog\.csv: line \d+: .*131,072 characters a field"):
        read_catalog(path)


def test_a_title_over_the_cap_is_refused(tmp_path):
    path = tmp_path / "catalog.jsonl"
    _write_jsonl(path, [{"product_id": "p1", "title_en": "x" * (MAX_TEXT_CHARS + 1)}])
    with pytest.raises(ValueError, match=r"row 1, column 'title_en': text of 10,001 characters, over the 10,000"):
        read_catalog(path)


@pytest.mark.parametrize("relevance", [10**30, 2**31, 0, -1, "1e3", 2.5, True])
def test_relevance_must_be_an_int32_grade(tmp_path, relevance):
    path = tmp_path / "queries.jsonl"
    _write_jsonl(path, [{"language": "vi", "query": "giày", "relevant_ids": ["p1"], "relevance": [relevance]}])
    with pytest.raises(ValueError, match=rf"column 'relevance': .* integer\(s\) in \[1, {MAX_RELEVANCE}\]"):
        read_query_log(path, _catalog(tmp_path))


def test_the_largest_grade_is_read(tmp_path):
    path = tmp_path / "queries.jsonl"
    _write_jsonl(path, [{"language": "vi", "query": "giày", "relevant_ids": "p1|p2", "relevance": f"{MAX_RELEVANCE}|1"}])
    (query,) = read_query_log(path, _catalog(tmp_path))["vi"]
    assert query.relevant == {"p1": MAX_RELEVANCE, "p2": 1}


def test_a_relevant_id_listed_twice_is_refused(tmp_path):
    path = tmp_path / "queries.jsonl"
    _write_jsonl(path, [{"language": "vi", "query": "giày", "relevant_ids": ["p1", "p1"], "relevance": [2, 1]}])
    with pytest.raises(ValueError, match=r"row 1, column 'relevant_ids': 'p1' is listed twice"):
        read_query_log(path, _catalog(tmp_path))


@pytest.mark.parametrize("cell, kind", [({"a": 1}, "dict"), (True, "bool"), (1.5, "float"), ([["x"]], "list")])
def test_a_cell_of_the_wrong_type_is_refused(tmp_path, cell, kind):
    path = tmp_path / "catalog.jsonl"
    _write_jsonl(path, [{"product_id": "p1", "title_en": "shoe", "category": cell}])
    column = "category"
    if kind == "list":  # a list where a list is expected holds lists: the keyword column
        _write_jsonl(path, [{"product_id": "p1", "title_en": "shoe", "keywords_en": cell}])
        column = "keywords_en"
    with pytest.raises(ValueError, match=rf"row 1, column '{column}': expected text, got {kind}"):
        read_catalog(path)


def test_an_integer_id_is_read_as_its_digits(tmp_path):
    path = tmp_path / "catalog.jsonl"
    _write_jsonl(path, [{"product_id": 7, "title_en": "shoe"}])
    assert read_catalog(path)[0].product_id == "7"


def test_a_json_array_file_is_read(tmp_path):
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps([{"product_id": "p1", "title_en": "shoe"}, {"product_id": "p2", "title_en": "cup"}]))
    assert [p.product_id for p in read_catalog(path)] == ["p1", "p2"]
    path.write_text(json.dumps([{"product_id": "p1", "title_en": "shoe"}, 5]))
    with pytest.raises(ValueError, match="array item 2 is a int; each must be a JSON object"):
        read_catalog(path)


def test_card_text_is_inert_markdown():
    assert plain("<b>cat</b> | x\n`y`") == "&lt;b&gt;cat&lt;/b&gt; \\| x 'y'"


@pytest.mark.parametrize("fractions", [(0.5, 0.5, float("nan")), (float("nan"), 0.5, 0.5), (float("inf"), 0, 0),
                                       (-0.1, 0.6, 0.5)])
def test_split_fractions_must_be_finite_and_non_negative(fractions):
    from dataset_builder.splits import check_fractions

    with pytest.raises(ValueError, match=r"split fraction \w+=.* must be a finite number >= 0 \(--split-fractions"):
        check_fractions(dict(zip(("train", "validation", "test"), fractions)))


def test_npm_is_called_with_one_argument_per_path(tmp_path, monkeypatch):
    """A folder with a space is one argument of the `npm` call (no shell, no string split)."""
    import subprocess

    from dataset_builder import sources

    calls = []
    monkeypatch.setattr(subprocess, "run", lambda argv, **kw: calls.append(argv))
    folder = tmp_path / "my npm dir"
    with pytest.raises(FileNotFoundError, match="my npm dir"):
        sources.ensure_sources(folder, install=True)
    assert calls == [["npm", "install", "--prefix", str(folder), *sources.install_argv(folder)[4:]]]
    assert f"'{folder}'" in sources.install_command(folder)  # the printed command is quoted for the shell
