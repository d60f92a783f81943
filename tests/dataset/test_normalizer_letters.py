"""The per-language fuzzy bound of the query normalizer is chosen on validation queries, never on test."""

import pytest

import dataset_builder.normalizer_letters as letters_module
from modeling_lira import LiraModel, LiraProcessor
from dataset_builder.normalizer_letters import choose_min_fuzzy_letters, typo_rows


def test_typo_rows_change_each_query_deterministically():
    rows = [{"query_id": f"q{i}", "query": text} for i, text in enumerate(["রান্নাঘর", "جوتے", "giày chạy bộ"])]
    first, again = typo_rows(rows, seed=13), typo_rows(rows, seed=13)
    assert first == again and len(first) == 3
    assert all(r["query"] != o["query"] and r["clean_query_id"] == o["query_id"] and r["noise"] == "typo"
               for r, o in zip(first, rows))
    assert [r["query"] for r in typo_rows(rows, seed=14)] != [r["query"] for r in first]


@pytest.mark.slow
def test_choice_reads_validation_only_and_follows_its_rule(lira_small_dir, tiny_products_dir, monkeypatch):
    """Real lira-small on the tiny real build: the chosen bound is the best on typo'd validation queries among the
    bounds that keep clean validation nDCG@10 within the tolerance."""
    splits = []
    real = letters_module.load_query_rows

    def spy(dataset, languages, split="train", max_per_language=None):
        splits.append(split)
        return real(dataset, languages, split, max_per_language)

    monkeypatch.setattr(letters_module, "load_query_rows", spy)
    model, processor = LiraModel.from_pretrained(lira_small_dir).eval(), LiraProcessor.from_pretrained(lira_small_dir)
    marker = object()
    processor.query_normalizer = marker
    out = choose_min_fuzzy_letters(model, processor, tiny_products_dir, ["bn", "ur"], candidates=(3, 5),
                                   queries_per_language=25, tolerance=0.002, progress=False)
    assert set(splits) == {"validation"} and processor.query_normalizer is marker  # restored afterwards
    for lang in ("bn", "ur"):
        row = out["table"][lang]
        ok = [n for n in (3, 5) if row[n]["clean"] >= row["raw_clean"] - 0.002]
        expected = max(ok, key=lambda n: (round(row[n]["typo"], 9), n)) if ok else 5
        assert out["chosen"][lang] == expected
        assert all(0 <= row[n][part] <= 1 for n in (3, 5) for part in ("clean", "typo"))
    with pytest.raises(ValueError, match="candidates=\\(0,\\)"):
        choose_min_fuzzy_letters(model, processor, tiny_products_dir, ["bn"], candidates=(0,), progress=False)
