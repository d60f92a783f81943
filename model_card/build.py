"""Builds the two LiRA model cards with ``huggingface_hub.ModelCard.from_template`` from data on disk.

* [`build_model_card`]: the full remote-code model (``org/lira``), ``library_name: transformers``.
* [`build_st_model_card`]: the sentence-transformers widget export (``org/lira-st``), no custom code.

Example::

    >>> from model_card import build_model_card
    >>> card = build_model_card("artifacts/lira-small-trained", eval_json="runs/eval/results.json",
    ...                         repo_id="org/lira", revision="v0.1.0")
    >>> card.save("README.md")
    >>> card.save_pages(".")  # EVALUATION.md, the long tables the card links to (`card.pages`)
"""

import json
import os
import re

import jinja2
from huggingface_hub import ModelCard, ModelCardData

from evaluation.lira_system import check_revision

from .constants import (BASE_MODEL_RELATION, BASE_MODELS, CITATION_BIBTEX, DEFAULT_CRITIC, DEFAULT_LICENSE, PAPER_URL,
                        ST_BASE_MODEL, WORDFREQ)
from .facts import (TRAINING_FACTS, count_parameters, normalizer_letters, read_dataset_card, read_markdown,
                    read_model_config, read_st_modules, read_training_args, st_embedding_dim, st_onnx_files,
                    table_languages, third_party_data)
from .sections import (evaluation_section, language_list, limits, mode_section, model_languages, prompt_section,
                       quoted, training_summary)
from .widget import LANGUAGES, load_widget_examples, usage_examples

TEMPLATE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")
_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_TAGS = ["sentence-similarity", "feature-extraction", "cross-lingual", "retrieval", "product-search",
         "low-resource-languages", "lira"]
# The page shipped next to README.md with the long tables (per-language, robustness, leak, seeds, label budget,
# zero-shot, hyperparameters); the card links it relatively, so it resolves at the card's own revision.
EVALUATION_PAGE = "EVALUATION.md"
USAGE_LANGUAGES = ("vi", "th", "bn")  # the languages of the cards' example queries (`usage_examples`)


class LiraModelCard(ModelCard):
    """A `huggingface_hub.ModelCard` plus the pages its body links to.

    Attributes:
        pages (`dict[str, str]`): path relative to ``README.md`` -> Markdown, e.g. ``{"EVALUATION.md": "..."}``;
            empty when the card links no page.
    """

    def __init__(self, content, ignore_metadata_errors=False):
        super().__init__(content, ignore_metadata_errors=ignore_metadata_errors)
        self.pages = {}

    def save_pages(self, folder):
        """Writes every page of [`pages`] under ``folder`` (the folder ``README.md`` goes to); returns their paths."""
        written = []
        for rel, text in self.pages.items():
            path = os.path.join(folder, *rel.split("/"))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            written.append(path)
        return written


def _check_repo_id(name, value):
    if not isinstance(value, str) or not _REPO_ID.match(value):
        raise ValueError(f"{name} must look like 'org/name', got {value!r}.")


def _check_revision(revision):
    if not isinstance(revision, str) or not revision or revision == "main":
        raise ValueError(
            f"revision must be a tag or commit to pin in the usage snippet (e.g. 'v0.1.0'), got {revision!r}; "
            "'main' would let users run code that changes under them."
        )
    check_revision(revision, "revision")  # no whitespace or quotes: it is pasted into the Python snippets


def _render_page(template, **kwargs):
    """A Markdown page (no front matter) from a template of ``templates/``."""
    with open(os.path.join(TEMPLATE_DIR, template), encoding="utf-8") as f:
        text = jinja2.Template(f.read()).render(**kwargs)
    return text.strip() + "\n"


def build_model_card(model_dir, eval_json=None, training_args_json=None, dataset_card_path=None, *,
                     repo_id, revision, st_repo_id=None, dataset_id=None, eval_system=None,
                     license=DEFAULT_LICENSE, critic=DEFAULT_CRITIC, st_dir=None, comparison_md=None,
                     anchoring_md=None, zero_shot_md=None):
    """Renders the card of the full LiRA model.

    Args:
        model_dir (`str`): folder written by ``LiraModel.save_pretrained`` (``config.json`` with ``auto_map``).
        eval_json (`str`, *optional*): ``results.json`` from ``evaluation/``; without it the card says
            "not evaluated yet" and has no ``model-index``.
        training_args_json (`str`, *optional*): JSON of the training arguments, shown as a table; defaults to
            ``training_facts.json`` in ``model_dir`` (written by ``training/``) when present.
        dataset_card_path (`str`, *optional*): the dataset's README (or folder); its name and license are shown.
        repo_id (`str`): Hub id of this model, e.g. ``"org/lira"``.
        revision (`str`): tag pinned in the usage snippets, e.g. ``"v0.1.0"`` (not ``"main"``).
        st_repo_id (`str`, *optional*, defaults to ``f"{repo_id}-st"``): Hub id of the sentence-transformers export.
        dataset_id (`str`, *optional*, defaults to ``"<org>/lira-products"``): Hub id of the dataset.
        eval_system (`str`, *optional*): which system of ``eval_json`` is this model (auto when unambiguous).
        license (`str`, *optional*, defaults to ``"apache-2.0"``): Hub license id.
        critic (`str`, *optional*): sentence describing the critic that produced the training critic scores.
        st_dir (`str`, *optional*): the export folder, read for its prompts (``prompt_name`` in the snippet).
        comparison_md (`str`, *optional*): Markdown written by ``python -m evaluation.compare`` over several training
            seeds (every system with intervals, LiRA against each simple alternative with paired intervals); shown
            verbatim on the evaluation page under "Against the simple alternatives".
        anchoring_md (`str`, *optional*): `report.md` of ``python -m studies.label_budget`` (label budget x parallel
            text, products and out-of-domain sets), shown on the evaluation page under "Where anchoring pays".
        zero_shot_md (`str`, *optional*): ``python -m evaluation.compare`` output over languages the model never
            trained on, shown on the evaluation page under "Zero-shot languages"; its languages are added to the
            card's `language` list.

    The card carries the usage, which mode to pick, one table per mode (LRL-only; full, with candidates: macro
    nDCG@10 with paired bootstrap intervals against the simple alternatives of that mode) and the limits. Every
    long table (every metric per language, the leak meter, robustness per noise type, the inputs above, all training
    hyperparameters) goes to [`EVALUATION_PAGE`] (``EVALUATION.md``), which the card links relatively: write
    ``card.pages`` next to ``README.md`` (``card.save_pages(folder)``). The ``model-index`` keeps every language and
    metric of ``eval_system``.

    Returns:
        [`LiraModelCard`]: a `huggingface_hub.ModelCard` whose ``pages`` maps ``"EVALUATION.md"`` to its Markdown
        (empty when there is nothing to put there: no evaluation, training arguments or tables).
    """
    _check_repo_id("repo_id", repo_id)
    _check_revision(revision)
    st_repo_id = st_repo_id or f"{repo_id}-st"
    dataset_id = dataset_id or f"{repo_id.split('/')[0]}/lira-products"
    _check_repo_id("st_repo_id", st_repo_id)
    _check_repo_id("dataset_id", dataset_id)
    config = read_model_config(model_dir)
    languages = model_languages(config)
    if training_args_json is None and os.path.isfile(os.path.join(model_dir, TRAINING_FACTS)):
        training_args_json = os.path.join(model_dir, TRAINING_FACTS)
    dataset_facts = read_dataset_card(dataset_card_path) if dataset_card_path else {}
    dataset_name = dataset_facts.get("pretty_name") or "LiRA Products"
    eval_kwargs, eval_results, evaluation = evaluation_section(eval_json, eval_system, dataset_id, dataset_name,
                                                               languages)
    if evaluation is not None:
        eval_kwargs.update(mode_section(evaluation, languages))
    comparison = read_markdown(comparison_md, "--comparison-md",
                                "python -m evaluation.compare RESULTS.json ... > compare.md")
    anchoring = read_markdown(anchoring_md, "--anchoring-md", "python -m studies.label_budget --report")
    zero_shot = read_markdown(zero_shot_md, "--zero-shot-md",
                              "python -m evaluation.compare ZERO_SHOT/results.json > z.md")
    zero_shot_languages = table_languages(zero_shot, exclude=languages) if zero_shot else []
    auto_map = config.get("auto_map") or {}
    code_files = sorted({f"{ref.split('--')[-1].split('.')[0]}.py" for ref in auto_map.values()
                         if isinstance(ref, str)} | {f for f in os.listdir(model_dir) if f.endswith(".py")})
    queries, products = usage_examples(USAGE_LANGUAGES)
    bundled = third_party_data(model_dir)
    card_data = ModelCardData(
        language=languages + zero_shot_languages + ["en"], license=license, library_name="transformers",
        pipeline_tag="sentence-similarity", tags=_TAGS, base_model=list(BASE_MODELS),
        base_model_relation=BASE_MODEL_RELATION, datasets=[dataset_id], model_name=repo_id.split("/")[-1],
        eval_results=eval_results, inference=False, widget=load_widget_examples(),
        **({"third_party_data": bundled} if bundled else {}),
    )
    training_rows = read_training_args(training_args_json) if training_args_json else []
    kwargs = dict(
        model_title=f"LiRA: cross-lingual product retrieval for {', '.join(languages)}",
        repo_id=repo_id, st_repo_id=st_repo_id, revision=revision, dataset_id=dataset_id,
        dataset_facts=dataset_facts, paper_url=PAPER_URL, language_list=language_list(languages),
        lang_codes=list(config.get("lang2id") or languages), code_files=code_files,
        num_parameters=count_parameters(model_dir),
        embedding_dim=config.get("adaptor_dim") or config.get("hidden_size"),
        base_models=BASE_MODELS, example_queries=json.dumps(queries, ensure_ascii=False),
        example_products=json.dumps(products, ensure_ascii=False), **prompt_section(st_dir),
        training_rows=training_rows, training_summary=training_summary(training_rows),
        limits=limits(dataset_id, critic), citation=CITATION_BIBTEX, license=license, comparison=comparison,
        anchoring=anchoring, zero_shot=zero_shot, zero_shot_languages=zero_shot_languages,
        query_normalizer=os.path.isfile(os.path.join(model_dir, "query_normalizer.json")),
        query_prefix=quoted(config.get("query_prefix", "query: ")),
        document_prefix=quoted(config.get("document_prefix", "passage: ")),
        normalizer_letters=normalizer_letters(model_dir), page=EVALUATION_PAGE, wordfreq=WORDFREQ,
        third_party_data=bundled,
        **eval_kwargs,
    )
    extras = [what for what, present in (
        ("the leak meter", kwargs.get("leak_table")), ("robustness to noisy queries", kwargs.get("robustness_tables")),
        ("the comparison over training seeds", comparison), ("the label-budget study", anchoring),
        ("zero-shot languages", zero_shot)) if present]
    kwargs.update(page_extras=extras, has_page_extras=bool(extras))
    card = LiraModelCard.from_template(card_data, template_path=os.path.join(TEMPLATE_DIR, "model_card.md"),
                                       **kwargs)
    if kwargs["has_eval"] or training_rows or comparison or anchoring or zero_shot:
        card.pages[EVALUATION_PAGE] = _render_page("evaluation.md", **kwargs)
    return card


def build_st_model_card(st_dir, *, repo_id, revision, full_repo_id, dataset_id=None, eval_json=None,
                        eval_system=None, license=DEFAULT_LICENSE, critic=DEFAULT_CRITIC, languages=LANGUAGES,
                        query_normalizer=True):
    """Renders the card of the sentence-transformers widget export.

    Args:
        st_dir (`str`): folder written by ``export_sentence_transformers`` (``modules.json``, ``1_Pooling``, ...).
        repo_id (`str`): Hub id of the export, e.g. ``"org/lira-st"``.
        revision (`str`): tag pinned in the usage snippet.
        full_repo_id (`str`): Hub id of the full model it comes from.
        dataset_id (`str`, *optional*, defaults to ``"<org>/lira-products"``): Hub id of the dataset.
        eval_json (`str`, *optional*) and eval_system (`str`, *optional*): results of this export's system; the
            model-index is only written when ``eval_system`` names it explicitly.
        license (`str`, *optional*, defaults to ``"apache-2.0"``): Hub license id.
        critic (`str`, *optional*): sentence describing the critic (see [`build_model_card`]).
        languages (`list[str]`, *optional*): low-resource languages, defaults to vi th id ms fil ur bn.
        query_normalizer (`bool`, *optional*, defaults to `True`): whether the full model ships
            `query_normalizer.json` (the card then shows how to rewrite queries with it before embedding them here;
            the export itself reads text as typed either way).

    The card's snippets call `encode_query` / `encode_document` and explain the default prompt of a plain `encode`
    (`default_prompt_name` of the export's `config_sentence_transformers.json`).
    When the folder holds `onnx/*.onnx` files (`python -m push_scripts.export_onnx`), the card lists them with the
    sentence-transformers load line.

    Returns:
        `huggingface_hub.ModelCard`
    """
    for name, value in [("repo_id", repo_id), ("full_repo_id", full_repo_id)]:
        _check_repo_id(name, value)
    _check_revision(revision)
    dataset_id = dataset_id or f"{full_repo_id.split('/')[0]}/lira-products"
    languages = list(languages)
    eval_kwargs, eval_results, _ = evaluation_section(eval_json, eval_system, dataset_id, "LiRA Products",
                                                      languages, strict_system=False)
    queries, products = usage_examples(USAGE_LANGUAGES)
    card_data = ModelCardData(
        language=languages + ["en"], license=license, library_name="sentence-transformers",
        pipeline_tag="sentence-similarity", tags=["sentence-transformers"] + _TAGS, base_model=ST_BASE_MODEL,
        base_model_relation=BASE_MODEL_RELATION, datasets=[dataset_id], model_name=repo_id.split("/")[-1],
        eval_results=eval_results, widget=load_widget_examples(),
    )
    return ModelCard.from_template(
        card_data, template_path=os.path.join(TEMPLATE_DIR, "st_model_card.md"),
        model_title=f"LiRA (sentence-transformers export) for {', '.join(languages)}",
        repo_id=repo_id, full_repo_id=full_repo_id, revision=revision, dataset_id=dataset_id,
        language_list=language_list(languages), modules=read_st_modules(st_dir),
        embedding_dim=st_embedding_dim(st_dir),
        example_queries=json.dumps(queries, ensure_ascii=False), **prompt_section(st_dir),
        example_products=json.dumps(products, ensure_ascii=False), limits=limits(dataset_id, critic)[:4],
        example_languages=json.dumps(list(USAGE_LANGUAGES)), query_normalizer=query_normalizer,
        onnx_files=st_onnx_files(st_dir), citation=CITATION_BIBTEX, **eval_kwargs,
    )
