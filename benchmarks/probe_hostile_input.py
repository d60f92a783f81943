"""The hostile-input probes of issue 27, re-run: each row prints what now happens (a result, its time, or the named
error), so a regression shows as a row that raises something else, loses a file, or takes seconds again.

Rows: the normalizer on long text (timed through `explain` and through `LiraProcessor`, peak memory), its memos, a
vocabulary entry of 60 words; a user's folder given as output; NaN / out-of-range values of the processor and
`LiraConfig`; bad `query_normalizer.json` files; catalogue and query-log cells; remote code without a revision.
Only the model folder's own files are read (`--model`, a trained LiRA folder with `query_normalizer.json`).

    python -m benchmarks.probe_hostile_input --model artifacts/lira-small-trained --dataset artifacts/lira-products \
        --out artifacts/probe_hostile.json
"""

import argparse
import math
import os
import random
import resource
import tempfile
import time
import warnings

from lira_utils.atomic import atomic_write_json

TYPED = {  # a real product query of each script, with the kind of damage the issue timed
    "th typos": ("หูฟังไร้สายบลูทูธ ", "th"),
    "ur typos": ("وائرلیس ہیڈفون بلوٹوتھ ", "ur"),
    "vi without marks": ("tai nghe khong day bluetooth ", "vi"),
}


def _outcome(fn):
    """`(outcome, ms)`: "ok: <result>" or "<ExceptionType>: <message>" (first 160 characters)."""
    start = time.perf_counter()
    try:
        result = fn()
        text = f"ok: {result}"
    except Exception as err:  # the probe reports whatever happens, which is the point
        text = f"{type(err).__name__}: {err}"
    return text[:160], round(1000 * (time.perf_counter() - start), 1)


def _damaged(seed_text, length, rng):
    """`seed_text` repeated to `length` characters with one letter in six swapped with its neighbour."""
    chars = list((seed_text * (length // len(seed_text) + 1))[:length])
    for i in range(0, len(chars) - 1, 6):
        if rng.random() < 0.5:
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
    return "".join(chars)


def normalizer_rows(model):
    from modeling_lira import LiraProcessor

    proc = LiraProcessor.from_pretrained(model)
    normalizer = proc.query_normalizer
    rng, rows = random.Random(13), []
    start = time.perf_counter()
    for lang in normalizer.languages:  # each language's tables are built once, on first use
        normalizer.explain("warm up", lang)
    rows.append({"probe": "first use: tables of all languages built", "ms": round(1000 * (time.perf_counter() -
                                                                                       start), 1)})
    for name, (seed_text, lang) in TYPED.items():
        for length in (10, 100, 1000, 10_000):
            text = _damaged(seed_text, length, rng)
            start = time.perf_counter()
            normalizer.explain(text, lang)
            rows.append({"probe": f"explain, {name}, {length} chars", "ms": round(1000 * (time.perf_counter() -
                                                                                      start), 1)})
    for length, langs in ((300, "given"), (300, "none"), (1000, "none"), (10_000, "none")):
        text = _damaged("tai nghe khong day bluetooth ", length, rng)
        start = time.perf_counter()
        proc([text], languages=["vi"] if langs == "given" else None)
        rows.append({"probe": f"processor, vi, {length} chars, languages {langs}",
                     "ms": round(1000 * (time.perf_counter() - start), 1)})
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for n in range(2000):
        normalizer.explain(f"tai nghe {n:04d}x khong day", "vi")
    index = normalizer._index("vi")
    rows.append({"probe": "2,000 distinct short queries: memo entries (vi)",
                 "outcome": f"{len(index._memo)} spans, {len(index._real)} words (at most {index._memo.size} each)"})
    rows.append({"probe": "peak memory growth over the probes so far (MB)",
                 "outcome": round((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024, 1)})
    return rows


def model_rows(model, dataset, count=200):
    """Seconds to encode `count` real sentence-length `test` / `test_noisy` queries (5-80 words: several joined) per
    language through the processor and the model, normalizer on and off."""
    import torch

    from lira_utils.dataset import load_queries
    from modeling_lira import LiraModel, LiraProcessor

    proc, net = LiraProcessor.from_pretrained(model), LiraModel.from_pretrained(model).eval()
    rows, rng = [], random.Random(5)
    for lang in ("id", "ur"):
        pool = [r["query"] for split in ("test", "test_noisy") for r in load_queries(dataset, lang, split)]
        texts = [" ".join(rng.choice(pool) for _ in range(rng.randint(2, 25))) for _ in range(count)]
        proc.query_normalizer.explain("warm up", lang)
        for normalize in (True, False):
            start = time.perf_counter()
            with torch.no_grad():
                for i in range(0, count, 32):
                    enc = proc(texts[i:i + 32], languages=[lang] * len(texts[i:i + 32]), normalize=normalize)
                    net(**enc)
            rows.append({"probe": f"{count} sentence-length {lang} queries, processor + model, normalizer "
                                  f"{'on' if normalize else 'off'}", "ms": round(1000 * (time.perf_counter() - start))})
    return rows


def long_entry_row():
    from modeling_lira.query_normalizer import LiraQueryNormalizer

    entry = " ".join(f"kata{i}" for i in range(60))
    normalizer = LiraQueryNormalizer({"id": [{"text": entry, "romanized": []}, {"text": "sepatu lari"}]})
    text = _damaged(entry + " ", 1000, random.Random(1))
    outcome, ms = _outcome(lambda: len(normalizer.normalize(text, "id")))
    return [{"probe": "60-word vocabulary entry, 1,000-char query", "outcome": outcome, "ms": ms}]


def folder_rows():
    from lira_utils.atomic import atomic_folder
    from push_scripts.stage_model import stage_folder

    rows = []
    for name, write in (("atomic_folder (training, finetune, build_lira_small, ...)",
                         lambda d: atomic_folder(d).__enter__()),
                        ("stage_folder (push scripts)", lambda d: stage_folder(d, [], d, "# card"))):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "my folder")
            os.makedirs(out)
            with open(os.path.join(out, "notes.txt"), "w", encoding="utf-8") as f:
                f.write("mine")
            outcome, _ = _outcome(lambda: write(out))
            kept = os.listdir(out) == ["notes.txt"]
            rows.append({"probe": f"{name}: a folder holding notes.txt as output", "outcome": outcome,
                         "notes.txt kept": kept})
    with tempfile.TemporaryDirectory() as tmp:
        old = os.umask(0o022)
        try:
            with atomic_folder(os.path.join(tmp, "out")) as d:
                with open(os.path.join(d, "model.safetensors"), "wb") as f:
                    f.write(b"x")
        finally:
            os.umask(old)
        modes = (oct(os.stat(os.path.join(tmp, "out")).st_mode & 0o777),
                 oct(os.stat(os.path.join(tmp, "out", "model.safetensors")).st_mode & 0o777))
        rows.append({"probe": "modes of a new folder / file under umask 022", "outcome": f"{modes[0]} / {modes[1]}"})
    return rows


def value_rows(model):
    from modeling_lira import LiraConfig, LiraProcessor
    from modeling_lira.query_normalizer import LiraQueryNormalizer

    proc = LiraProcessor.from_pretrained(model)
    cands = [["wireless earbuds", "earphones"]]
    probes = {
        "critic_scores with NaN": lambda: proc(["tai nghe"], languages=["vi"], candidates=cands,
                                               critic_scores=[[[math.nan, 5, 5], [5, 5, 5]]]),
        "critic_scores row None": lambda: proc(["tai nghe"], languages=["vi"], candidates=cands,
                                               critic_scores=[None])["input_ids"].shape,
        "candidates row None": lambda: proc(["tai nghe"], languages=["vi"], candidates=[None])["input_ids"].shape,
        "critic_scores as strings": lambda: proc(["tai nghe"], languages=["vi"], candidates=cands,
                                                 critic_scores=[[["5", "5", "5"], ["5", "5", "5"]]]),
        "LiraConfig english_scale_init=nan": lambda: LiraConfig(english_scale_init=math.nan),
        "LiraConfig retrieval_temperature=inf": lambda: LiraConfig(retrieval_temperature=math.inf),
        "LiraConfig reward_alpha=nan": lambda: LiraConfig(reward_alpha=math.nan),
        "LiraConfig num_bins=10**9": lambda: LiraConfig(num_bins=10**9),
        "LiraConfig encoder hidden_size=-1": lambda: LiraConfig(encoder_config={"model_type": "bert",
                                                                                "hidden_size": -1}),
    }
    rows = [{"probe": name, "outcome": _outcome(fn)[0]} for name, fn in probes.items()]
    for name, content in (("query_normalizer.json with \"text\": 5", '{"vocabulary": {"vi": [{"text": 5}]}}'),
                          ("query_normalizer.json not JSON", "{oops"),
                          ("query_normalizer.json a list", "[1, 2]"),
                          ("query_normalizer.json without vocabulary", '{"threshold": 0.7}')):
        with tempfile.TemporaryDirectory() as tmp:
            with open(os.path.join(tmp, "query_normalizer.json"), "w", encoding="utf-8") as f:
                f.write(content)
            rows.append({"probe": name, "outcome": _outcome(lambda: LiraQueryNormalizer.from_pretrained(tmp))[0]})
    return rows


def supply_rows():
    from evaluation.lira_system import UnpinnedRemoteCodeWarning, check_revision, warn_if_unpinned

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn_if_unpinned("org/lira", None)
    rows = [{"probe": "Hub id loaded without a revision",
             "outcome": f"warns: {any(issubclass(w.category, UnpinnedRemoteCodeWarning) for w in caught)}"},
            {"probe": "--revision 'v1; rm -rf'", "outcome": _outcome(lambda: check_revision("v1; rm -rf"))[0]}]
    from training.gpu.shards import _checked_path

    rows.append({"probe": "shard manifest path '../x'", "outcome": _outcome(lambda: _checked_path("../x", "m"))[0]})
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default="artifacts/lira-small-trained", help="a trained LiRA folder")
    p.add_argument("--dataset", default="artifacts/lira-products")
    p.add_argument("--out", default="artifacts/probe_hostile.json")
    args = p.parse_args(argv)
    rows = (normalizer_rows(args.model) + model_rows(args.model, args.dataset) + long_entry_row() + folder_rows() + value_rows(args.model) + supply_rows())
    for row in rows:
        print(" | ".join(str(v) for v in row.values()))
    atomic_write_json(args.out, rows)
    return rows


if __name__ == "__main__":
    main()
