"""Bring your own catalog: good builds load offline; every bad input raises ValueError naming row and column and
leaves no output (nor temporary folder) behind."""

import json
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from datasets import load_dataset

from dataset_builder import QUERY_FEATURES, build_from_catalog
from dataset_builder import pipeline as pipeline_module
from dataset_builder.__main__ import main
from tests.fixtures_data import CATALOG_CSV, QUERIES_JSONL_ROWS


def _leftovers(folder):
    return [name for name in os.listdir(folder) if ".tmp-" in name or ".old-" in name]


def test_catalog_with_query_log(tiny_catalog, tmp_path):
    catalog, queries = tiny_catalog
    out = build_from_catalog(tmp_path / "out", catalog, queries, progress=False)
    vi = load_dataset(str(out), "vi")
    rows = [r for ds in vi.values() for r in ds]
    assert all(ds.features == QUERY_FEATURES for ds in vi.values())
    by_id = {r["query_id"]: r for r in rows}
    assert by_id["q1"]["relevant_ids"] in (["p1", "p5"], ["p1"], ["p5"])  # restricted to the query's split
    assert by_id["q2"]["relevance"] == [2] and "red apple" in by_id["q2"]["candidates"]
    corpus = load_dataset(str(out), "corpus", split="corpus")
    assert corpus[0]["titles"]["vi"] == "giày chạy bộ" and corpus[0]["titles"]["ur"] == ""


@pytest.mark.slow
def test_catalog_without_query_log_parquet(tmp_path):
    rows = [dict(zip(CATALOG_CSV.splitlines()[0].split(","), line.split(","))) for line in CATALOG_CSV.splitlines()[1:]]
    for row in rows:
        row["keywords_vi"] = row["keywords_vi"].split("|")
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "catalog.parquet")
    out = build_from_catalog(tmp_path / "out", tmp_path / "catalog.parquet", languages=["vi"], progress=False)
    stats = json.loads((out / "lira_build.json").read_text())
    assert stats["languages"] == ["vi"] and stats["real_queries"]["vi"] > 8
    assert load_dataset(str(out), "vi")["train"].num_rows > 0


def _write(tmp_path, catalog_text=None, query_rows=None, catalog_bytes=None):
    catalog = tmp_path / "catalog.csv"
    if catalog_bytes is not None:
        catalog.write_bytes(catalog_bytes)
    else:
        catalog.write_text(catalog_text or CATALOG_CSV, encoding="utf-8")
    queries = tmp_path / "queries.jsonl"
    rows = QUERIES_JSONL_ROWS if query_rows is None else query_rows
    queries.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return catalog, queries


def _replace_row(index, **changes):
    rows = [dict(r) for r in QUERIES_JSONL_ROWS]
    rows[index].update(changes)
    return rows


_CP1258_ROW = CATALOG_CSV.replace("cái ô", "@@").encode("utf-8").replace(b"@@", "cái ô".encode("cp1258"))
BAD_CASES = {  # case -> (input changes, pattern the ValueError must match)
    "missing_column": (
        dict(catalog_text=CATALOG_CSV.replace("title_en", "name_en", 1)), r"header \(row 0\), column 'title_en'"),
    "unknown_language_column": (
        dict(catalog_text=CATALOG_CSV.replace("title_th", "title_de")), r"header \(row 0\), column 'title_de'.*'de'"),
    "unknown_language_query": (dict(query_rows=_replace_row(2, language="xx")), r"row 3, column 'language'.*'xx'"),
    "empty_title": (
        dict(catalog_text=CATALOG_CSV.replace("p3,umbrella,", "p3,  ,")), r"row 3, column 'title_en': empty text"),
    "empty_query": (dict(query_rows=_replace_row(1, query="   ")), r"row 2, column 'query': empty text"),
    "duplicate_product": (
        dict(catalog_text=CATALOG_CSV.replace("p4,green", "p2,green")),
        r"row 4, column 'product_id'.*duplicate id 'p2'.*row 2"),
    "duplicate_query": (dict(query_rows=_replace_row(4, query_id="q1")), r"row 5, column 'query_id'.*duplicate"),
    "wrong_encoding": (dict(catalog_bytes=_CP1258_ROW), r"row 3, column 'title_vi'.*UTF-8"),
    "relevance_to_no_product": (
        dict(query_rows=_replace_row(5, relevant_ids=["p7", "p99"])), r"row 6, column 'relevant_ids'.*'p99'"),
    "relevance_length": (dict(query_rows=_replace_row(0, relevance=[1])), r"row 1, column 'relevance'"),
    "bad_split": (dict(catalog_text=CATALOG_CSV.replace("รองเท้าวิ่ง,", "รองเท้าวิ่ง,dev")), r"row 1, column 'split'"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_input_raises_and_leaves_nothing(case, tmp_path):
    kwargs, pattern = BAD_CASES[case]
    catalog, queries = _write(tmp_path, **kwargs)
    out = tmp_path / "out"
    with pytest.raises(ValueError, match=pattern):
        build_from_catalog(out, catalog, queries, progress=False)
    assert not out.exists() and not _leftovers(tmp_path)


@pytest.mark.slow
def test_cli_reports_bad_input(tmp_path, capsys):
    catalog, queries = _write(tmp_path, query_rows=_replace_row(5, relevant_ids=["p404"]))
    out = tmp_path / "out"
    assert main(["build", "--out", str(out), "--catalog", str(catalog), "--queries", str(queries), "--quiet"]) == 1
    assert "row 6, column 'relevant_ids'" in capsys.readouterr().err and not out.exists()
    assert main(["build", "--out", str(out), "--languages", "de", "--quiet"]) == 1
    assert "Unknown language code" in capsys.readouterr().err
    assert main(["build", "--out", str(out), "--catalog", str(catalog), "--quiet"]) == 0 and out.is_dir()


@pytest.mark.slow
def test_failure_while_writing_keeps_previous_build(tiny_catalog, tmp_path, monkeypatch):
    catalog, queries = tiny_catalog
    out = build_from_catalog(tmp_path / "out", catalog, queries, progress=False)
    before = sorted(p.name for p in out.rglob("*"))
    calls = []

    def failing(path, rows, features):
        calls.append(path)
        if len(calls) == 3:
            raise OSError("disk full")
        return original(path, rows, features)

    original = pipeline_module.write_parquet
    monkeypatch.setattr(pipeline_module, "write_parquet", failing)
    with pytest.raises(OSError, match="disk full"):
        build_from_catalog(out, catalog, queries, progress=False, seed=99)
    assert sorted(p.name for p in out.rglob("*")) == before and not _leftovers(tmp_path)


def test_refuses_to_replace_foreign_folder(tiny_catalog, tmp_path):
    catalog, queries = tiny_catalog
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(ValueError, match="already holds files that LiRA did not write"):
        build_from_catalog(foreign, catalog, queries, progress=False)
    assert (foreign / "notes.txt").read_text() == "keep me"
