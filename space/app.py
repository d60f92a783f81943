"""LiRA demo Space: search the `lira-products` catalogue in any of LiRA's 7 languages, LiRA beside its backbone.

Run locally (offline, from the repository root)::

    python space/app.py --model artifacts/benchmark/lira-s13 --dataset artifacts/lira-products \\
        --backbone artifacts/backbones/multilingual-e5-small --finetune artifacts/benchmark/finetune-s13

On the Hub the sources come from `space_config.json` (written by `python -m push_scripts.push_space`); environment
variables `LIRA_MODEL`, `LIRA_REVISION`, `LIRA_DATASET`, `LIRA_BACKBONE`, `LIRA_FINETUNE`, `LIRA_CACHE_DIR` and
command-line flags override it, in that order. The LiRA revision (`revision` in `space_config.json`, `LIRA_REVISION`,
`--revision`) is passed to every `from_pretrained` of the remote code and shown under the page; pin it to a 40-hex
commit sha (a Hub id without a revision warns that its code is not pinned).
"""

import argparse
import json
import logging
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# On the Hub the reused packages are vendored beside app.py; in a clone they are one folder up (the repository's own
# packages are not installed into the environment, see setup.cfg).
for _root in (os.path.dirname(HERE), HERE):
    if (_root == HERE or os.path.isdir(os.path.join(_root, "lira_utils"))) and _root not in sys.path:
        sys.path.insert(0, _root)
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no usage pings from a demo that must run offline

from space_inputs import AUTO_LANGUAGE, LiraSpaceInputError, language_label, parse_query  # noqa: E402
from space_render import CSS, render_error, render_result  # noqa: E402

logger = logging.getLogger("lira_space")
DEFAULTS = {"model": "lira-org/lira", "revision": "v0.1.0", "dataset": "lira-org/lira-products",
            "backbone": "intfloat/multilingual-e5-small", "finetune": None, "cache_dir": None, "critic_lexicon": None}
# persistent storage on a Space (/data) when attached, else the user cache
DEFAULT_CACHE_DIR = "/data/lira_space_cache" if os.path.isdir("/data") else os.path.join(
    os.path.expanduser("~"), ".cache", "lira_space")
CONFIG_FILE = os.path.join(HERE, "space_config.json")
LEXICON_FILE = os.path.join(HERE, "critic_lexicon.json")
INTRO = """# LiRA: product search in low-resource languages
Type a product query in Vietnamese, Thai, Indonesian, Malay, Filipino, Urdu or Bengali. Pick its language or leave
*auto* (LiRA's language-ID head decides). Optionally give up to {k} English candidate translations, one per line:
LiRA picks one (full mode: the highest semantic critic score, or its actor when the model is configured
so); without candidates LiRA uses its LRL-only vector. Each column shows the top
10 of the {n} products of `lira-products`; the backbone (and the plain fine-tune) read the query alone, without
candidates. When the model ships a query normalizer (romanized, unaccented or misspelt words rewritten into the
catalogue's script and spelling), every column reads the query it rewrote, and the page shows that text.
"""


def resolve_settings(args):
    """Merges `space_config.json`, `LIRA_*` environment variables and command-line flags (later wins)."""
    settings = dict(DEFAULTS)
    revision_source = "the app's default revision"
    if os.path.exists(CONFIG_FILE):
        with open(CONFIG_FILE, encoding="utf-8") as f:
            saved = json.load(f)
        settings.update({k: v for k, v in saved.items() if k in DEFAULTS})
        if "revision" in saved:
            revision_source = f"'revision' of {CONFIG_FILE}"
    for key in DEFAULTS:
        value = os.environ.get(f"LIRA_{key.upper()}")
        if value:
            settings[key] = value
    revision_source = "LIRA_REVISION" if os.environ.get("LIRA_REVISION") else revision_source
    for key in DEFAULTS:
        value = getattr(args, key, None)
        if value:
            settings[key] = value
    settings["revision_source"] = "--revision" if getattr(args, "revision", None) else revision_source
    settings["cache_dir"] = settings["cache_dir"] or DEFAULT_CACHE_DIR
    if not settings["critic_lexicon"] and os.path.exists(LEXICON_FILE):
        settings["critic_lexicon"] = LEXICON_FILE
    return settings


def make_searcher(settings):
    """A [`LiraSpaceSearcher`] from merged settings (nothing embedded yet; see `build_searcher`)."""
    from space_search import LiraSpaceSearcher

    lexicon = None
    if settings["critic_lexicon"]:
        with open(settings["critic_lexicon"], encoding="utf-8") as f:
            lexicon = json.load(f)
    else:
        try:  # run from the repository: read the CLDR data directly (the Space ships critic_lexicon.json instead)
            from dataset_builder.critics import critic_lexicon

            lexicon = critic_lexicon()
        except ImportError:
            pass
    return LiraSpaceSearcher(settings["model"], settings["dataset"], settings["backbone"],
                             finetune=settings["finetune"], revision=settings["revision"],
                             cache_dir=settings["cache_dir"], critic_lexicon=lexicon,
                             revision_source=settings.get("revision_source", "revision"))


def build_searcher(settings):
    """A prepared [`LiraSpaceSearcher`] (models loaded, corpus embedded once, from the cache when it can)."""
    searcher = make_searcher(settings)
    seconds = searcher.prepare()
    logger.info("models loaded and corpus embedded in %.1f s", seconds)
    return searcher


def model_footer(lira):
    """Markdown under the page: which LiRA model and which revision of its remote code the demo runs."""
    if os.path.isdir(lira.source):
        return f"Model: local folder `{lira.source}` (its own code, no Hub revision)."
    pinned = f"revision `{lira.revision}`" if lira.revision else "**no pinned revision** (newest commit, not pinned)"
    return f"Model: [`{lira.source}`](https://huggingface.co/{lira.source}), remote code at {pinned}."


def answer(searcher, text, language, candidates):
    """The HTML shown for one search: the result, or a clear message for bad input (never a traceback)."""
    try:
        query = parse_query(text, language, candidates, searcher.languages, searcher.num_candidates)
        return render_result(searcher.search(query))
    except LiraSpaceInputError as err:
        return render_error(err)
    except Exception as err:  # a bug or a resource problem: log it here, keep the page readable
        logger.exception("search failed")
        return render_error(f"the search failed on the server ({type(err).__name__}); try again or another query.")


def build_demo(searcher, examples=None):
    """The Gradio Blocks of the demo (not launched)."""
    import gradio as gr

    k = searcher.num_candidates
    choices = [("auto (language-ID head)", AUTO_LANGUAGE)] + [(language_label(c), c) for c in searcher.languages]
    with gr.Blocks(title="LiRA product search", analytics_enabled=False) as demo:
        gr.Markdown(INTRO.format(k=k, n=len(searcher.corpus)))
        with gr.Row():
            query = gr.Textbox(label="Query", placeholder="e.g. หูฟังไร้สาย", elem_id="lira-query", scale=3)
            language = gr.Dropdown(choices, value=AUTO_LANGUAGE, label="Language", allow_custom_value=True,
                                   elem_id="lira-language", scale=1)
        candidates = gr.Textbox(label=f"English candidate translations (optional, one per line, at most {k})",
                                lines=3, elem_id="lira-candidates")
        button = gr.Button("Search", variant="primary", elem_id="lira-search")
        output = gr.HTML(elem_id="lira-output")
        if examples:
            gr.Examples(examples, inputs=[query, language, candidates], label="Examples (dataset test split)")

        def run(text, lang, cands):
            return answer(searcher, text, lang, cands)

        button.click(run, [query, language, candidates], output)
        query.submit(run, [query, language, candidates], output)
        gr.Markdown(model_footer(searcher.lira), elem_id="lira-footer")
    return demo


def launch(demo, host="127.0.0.1", port=7860, block=True):
    """Starts the server: no share link, no server-side rendering (no Node), system fonts only (no web fonts)."""
    import gradio as gr

    theme = gr.themes.Default(font=["system-ui", "Noto Sans", "sans-serif"], font_mono=["monospace"])
    return demo.launch(server_name=host, server_port=port, share=False, ssr_mode=False, theme=theme, css=CSS,
                       prevent_thread_lock=not block, show_error=False, quiet=True)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="LiRA demo: search lira-products with LiRA beside its backbone.")
    p.add_argument("--model", help="LiRA folder or Hub id")
    p.add_argument("--revision", help="revision (tag or commit) of the LiRA Hub repo")
    p.add_argument("--dataset", help="lira-products folder or Hub id")
    p.add_argument("--backbone", help="multilingual-e5-small folder or Hub id")
    p.add_argument("--finetune", help="plain fine-tune folder or Hub id (optional)")
    p.add_argument("--cache-dir", dest="cache_dir", help="keep corpus embeddings here between runs")
    p.add_argument("--critic-lexicon", dest="critic_lexicon", help="critic_lexicon.json (CLDR vocabulary)")
    p.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", "7860")))
    return p.parse_args(argv)


def main(argv=None):
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    args = parse_args(argv)
    settings = resolve_settings(args)
    try:
        searcher = build_searcher(settings)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    demo = build_demo(searcher, searcher.examples())
    launch(demo, args.host, args.port, block=False)
    print(f"LIRA_SPACE_READY http://{args.host}:{args.port}", flush=True)
    demo.block_thread()
    return 0


if __name__ == "__main__":
    sys.exit(main())
