"""Shared pytest fixtures for the data area.

`tiny_products_dir`: a real `lira-products` build (CLDR slice: 60 products, all 7 languages, at most 400 queries per
language, seed 13) in the Hub layout; `load_dataset(tiny_products_dir, "th")` works offline. Built once per session
(about 4 s). Other areas (evaluation, training) may use it read-only.
"""

import json

import pytest

TINY_PRODUCTS = 60
TINY_QUERIES_PER_LANGUAGE = 400


@pytest.fixture(scope="session")
def tiny_products_dir(tmp_path_factory):
    """Path (`str`) of a small real build: 60 CLDR products, 7 languages, <= 400 queries per language."""
    from dataset_builder import build_cldr_dataset

    out = tmp_path_factory.mktemp("lira-data") / "lira-products"
    build_cldr_dataset(out, max_products=TINY_PRODUCTS, max_queries_per_language=TINY_QUERIES_PER_LANGUAGE,
                       seed=13, progress=False)  # fmt: skip
    return str(out)


@pytest.fixture(scope="session")
def tiny_products_stats(tiny_products_dir):
    """The build statistics (`lira_build.json`) of `tiny_products_dir`."""
    with open(f"{tiny_products_dir}/lira_build.json", encoding="utf-8") as f:
        return json.load(f)


CATALOG_CSV = """product_id,title_en,keywords_en,category,title_vi,keywords_vi,title_th,split
p1,running shoe,shoe|sneaker|sport,shoes,giày chạy bộ,giày|thể thao,รองเท้าวิ่ง,
p2,red apple,apple|fruit,fruit,táo đỏ,táo|trái cây,แอปเปิ้ลแดง,
p3,umbrella,rain|umbrella,household,cái ô,ô|mưa,ร่ม,
p4,green apple,apple|fruit|green,fruit,táo xanh,táo|trái cây,แอปเปิ้ลเขียว,
p5,hiking boot,boot|shoe|hiking,shoes,giày leo núi,giày|leo núi,รองเท้าเดินป่า,
p6,teapot,tea|pot,kitchen,ấm trà,ấm|trà,กาน้ำชา,
p7,kitchen knife,knife|cooking,kitchen,dao làm bếp,dao|nấu ăn,มีดทำครัว,
p8,backpack,bag|school,bags,ba lô,túi|trường học,กระเป๋าเป้,
"""

QUERIES_JSONL_ROWS = [
    {"query_id": "q1", "language": "vi", "query": "giày", "relevant_ids": ["p1", "p5"], "relevance": [1, 1]},
    {"query_id": "q2", "language": "vi", "query": "táo đỏ", "relevant_ids": ["p2"], "relevance": [2]},
    {"query_id": "q3", "language": "th", "query": "ร่ม", "relevant_ids": ["p3"]},
    {"query_id": "q4", "language": "th", "query": "รองเท้าวิ่ง", "relevant_ids": "p1"},
    {"query_id": "q5", "language": "vi", "query": "ấm trà", "relevant_ids": ["p6"], "relevance": [2]},
    {"query_id": "q6", "language": "vi", "query": "dao", "relevant_ids": ["p7"]},
    {"query_id": "q7", "language": "th", "query": "กระเป๋า", "relevant_ids": ["p8"]},
    {"query_id": "q8", "language": "vi", "query": "trái cây", "relevant_ids": ["p2", "p4"]},
]


@pytest.fixture
def tiny_catalog(tmp_path):
    """`(catalog.csv path, queries.jsonl path)` of a valid 8-product catalog with a vi/th query log."""
    catalog = tmp_path / "catalog.csv"
    catalog.write_text(CATALOG_CSV, encoding="utf-8")
    queries = tmp_path / "queries.jsonl"
    lines = [json.dumps(r, ensure_ascii=False) for r in QUERIES_JSONL_ROWS]
    queries.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return catalog, queries
