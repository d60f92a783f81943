"""Writes the sets of `dataset_builder.anchor_text` as three folders in the `lira-products` layout.

Each folder (written with `lira_utils.atomic.atomic_folder`)::

    README.md                                   card: YAML `configs:` (corpus + one config per language)
    anchor_text.json                            counts and what was dropped, and why
    corpus/corpus-00000-of-00001.parquet        English items (`CORPUS_FEATURES`)
    data/<lang>/<split>-00000-of-00001.parquet  query rows (`QUERY_FEATURES`); split `train` or `test`
"""

import os
from pathlib import Path

import yaml

from lira_utils.atomic import atomic_folder, check_output_folder
from evaluation.cldr_locale import SOURCE as LOCALE_SOURCE

from .anchor_text import build_anchor_tables
from .schema import CORPUS_CONFIG, CORPUS_FEATURES, CORPUS_SPLIT, LANGUAGE_NAMES, QUERY_FEATURES
from .sources import NPM_PACKAGES
from .writer import CORPUS_PATH, query_path, write_json, write_parquet

STATS_FILE = "anchor_text.json"
SETS = {  # name -> (split, title, what)
    "parallel": ("train", "LiRA parallel anchor text",
                 "Unlabelled parallel text for training: the CLDR short name (one row) and first four keywords (one "
                 "row) of emoji outside the LiRA products, each paired with its English item."),
    "ood_emoji": ("test", "LiRA OOD emoji retrieval",
                  "Out-of-domain cross-lingual retrieval check: local CLDR short names of the emoji groups not used "
                  "for parallel text (flags included) -> their English names."),
    "ood_locale": ("test", "LiRA OOD locale retrieval",
                   f"Out-of-domain cross-lingual retrieval check: {LOCALE_SOURCE} -> English names."),
}  # fmt: skip
LEAK_RULES = (
    "Texts are compared folded (`modeling_lira.query_normalizer.fold`, then casefold). Only emoji outside the "
    "599 products' variant groups are used; groups of variants (skin tones, U+FE0F, gender, man/woman/person) go "
    "to one side by sha256 of the group key, flags always to the OOD side. Any text (local or English) equal to "
    "a `lira-products` product text (titles and keywords in every language and English, every split) or query "
    "(every config and split) is dropped from all three sets; parallel texts equal to any OOD query or OOD item "
    "text (emoji or locale) are dropped too, so no test text is training text.")  # fmt: skip


def _card(name, stats):
    split, title, what = SETS[name]
    langs = list(stats["rows"])
    meta = {"language": langs + ["en"], "license": "other", "license_name": "unicode-3.0",
            "license_link": "https://www.unicode.org/license.txt", "pretty_name": title,
            "task_categories": ["text-retrieval", "sentence-similarity"], "tags": ["lira", "cldr"],
            "configs": [{"config_name": CORPUS_CONFIG, "data_files": [{"split": CORPUS_SPLIT, "path": CORPUS_PATH}]}]
            + [{"config_name": lang, "data_files": [{"split": split, "path": query_path(lang, split)}]}
               for lang in langs if stats["rows"][lang]]}  # fmt: skip
    counts = "\n".join(f"| {lang} ({LANGUAGE_NAMES[lang]}) | {n:,} |" for lang, n in stats["rows"].items())
    sources = ", ".join(f"`{k}@{v}`" for k, v in NPM_PACKAGES.items())
    body = (f"# {title}\n\n{what}\n\nCorpus: {stats['corpus']:,} English items (config `corpus`). Queries "
            f"(split `{split}`):\n\n| language | rows |\n|---|---|\n{counts}\n\n## Sources\n\nUnicode CLDR "
            f"annotations and emoji groups ({sources}; Unicode-3.0 licence); CLDR locale names through `babel` "
            f"(BSD-3-Clause, Unicode data).\n\n## Leak rules\n\n{LEAK_RULES} Counts of what was dropped and why: "
            f"`{STATS_FILE}`.\n")  # fmt: skip
    return "---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False) + "---\n\n" + body


def _write(out_dir, name, table, common, overwrite):
    rows, corpus, dropped = table
    stats = {"set": name, **common, "rows": {lang: len(r) for lang, r in rows.items()}, "corpus": len(corpus),
             "dropped": dropped}  # fmt: skip
    with atomic_folder(out_dir, overwrite, what=f"{name} output folder", prefix=f".{Path(out_dir).name}.tmp-") as tmp:
        write_parquet(Path(tmp) / CORPUS_PATH, corpus, CORPUS_FEATURES)
        for lang, lang_rows in rows.items():
            if lang_rows:  # an empty shard cannot be loaded; its config is left out of the card too
                write_parquet(Path(tmp) / query_path(lang, SETS[name][0]), lang_rows, QUERY_FEATURES)
        Path(tmp, "README.md").write_text(_card(name, stats), encoding="utf-8")
        write_json(Path(tmp) / STATS_FILE, stats)
    return stats


def build_anchor_text(dataset, parallel_out, ood_out, languages=None, ood_fraction=0.5, npm_dir=None,
                      overwrite=True):  # fmt: skip
    """Builds and writes the parallel folder and the OOD folders `<ood_out>-emoji` and `<ood_out>-locale`.

    Args:
        dataset (`str`): the `lira-products` folder (read only).
        parallel_out (`str`): folder of the parallel set (configs `corpus` + one per language, split `train`).
        ood_out (`str`): prefix of the two OOD folders (split `test`).
        languages (`list[str]`, *optional*, defaults to all 7): query languages.
        ood_fraction (`float`, *optional*, defaults to 0.5): share of emoji groups on the OOD side.
        npm_dir (`str`, *optional*): folder with the npm CLDR sources.
        overwrite (`bool`, *optional*, defaults to `True`): replace earlier outputs of LiRA there.

    Returns:
        `dict`: `{"parallel" | "ood_emoji" | "ood_locale": {"path", "rows": {lang: n}, "corpus", "dropped", ...}}`.

    Raises:
        `ValueError`: a bad value (see `build_anchor_tables`), or an output folder that is the dataset, another
            output, or a folder LiRA did not write.
    """
    ood_out = os.path.normpath(str(ood_out))
    outs = {"parallel": str(parallel_out), "ood_emoji": ood_out + "-emoji", "ood_locale": ood_out + "-locale"}
    real = [os.path.realpath(p) for p in (str(dataset), *outs.values())]
    if len(set(real)) < len(real):
        raise ValueError(f"--dataset {dataset!r}, --parallel-out {parallel_out!r} and the OOD folders "
                         f"{outs['ood_emoji']!r} / {outs['ood_locale']!r} must be four different folders; "
                         "choose other output paths.")  # fmt: skip
    for name, path in outs.items():  # before the build: a refused folder fails at once
        check_output_folder(path, overwrite, what=f"{name} output folder")
    tables = build_anchor_tables(dataset, languages, ood_fraction, npm_dir)
    common = {"ood_fraction": float(ood_fraction), "dataset": os.path.basename(os.path.normpath(str(dataset))),
              "emoji": tables["emoji"], "sources": dict(NPM_PACKAGES), "locale_source": LOCALE_SOURCE}  # fmt: skip
    return {name: {"path": path, **_write(path, name, tables[name], common, overwrite)} for name, path in outs.items()}


__all__ = ["STATS_FILE", "build_anchor_text"]
