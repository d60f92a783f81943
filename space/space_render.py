"""HTML of the demo's answer: what the query normalizer made of the query, the language line, the candidates with
LiRA's choice, one ranked table per system.

Every value is escaped. The markup carries stable hooks for tests and scrapers: `div.lira-error[role=alert]` for a
bad input, `div[data-query-normalizer]` (`rewritten`, `unchanged` or `none`) with `data-normalized-query` (the text
every column read), `table.lira-results[data-system=...]` with one `tr[data-product-id]` per ranked product.
"""

import html

from space_inputs import language_label

SYSTEM_TITLES = {
    "lira": "LiRA",
    "backbone": "multilingual-e5-small (backbone)",
    "finetune": "plain fine-tune",
}

CSS = """
.lira-error {border: 1px solid #c0392b; background: #fdecea; color: #7b241c; padding: 10px 14px; border-radius: 6px}
.lira-meta {margin: 4px 0 10px 0; line-height: 1.5}
.lira-grid {display: flex; gap: 14px; flex-wrap: wrap; align-items: flex-start}
.lira-col {flex: 1 1 300px; min-width: 280px}
.lira-col h3 {margin: 4px 0 6px 0; font-size: 1.02em}
table.lira-results, table.lira-candidates {border-collapse: collapse; width: 100%; font-size: 0.92em}
table.lira-results td, table.lira-results th, table.lira-candidates td, table.lira-candidates th
  {border-bottom: 1px solid #ddd; padding: 3px 6px; text-align: left; vertical-align: top}
td.lira-score {font-variant-numeric: tabular-nums; text-align: right}
tr.lira-chosen {background: #e8f6ec; font-weight: 600}
.lira-local {color: #666; font-size: 0.9em}
"""


def render_error(message):
    """The page's answer to a bad input: the message, no traceback."""
    return f'<div class="lira-error" role="alert"><b>Cannot search:</b> {html.escape(str(message))}</div>'


def _query_line(result):
    """What every column read: the normalized query when the normalizer rewrote it, else the query as typed."""
    typed, read = result["query"], result["normalized_query"]
    if not result["has_normalizer"]:
        state, text = "none", "This model ships no query normalizer: every column reads the query as typed."
    elif read == typed:
        state, text = "unchanged", "Normalized query: unchanged (the query normalizer kept it as typed)."
    else:
        state = "rewritten"
        columns = ", ".join(SYSTEM_TITLES.get(name, name) for name in result["rankings"])
        text = (f"Normalized query: <b>{html.escape(read)}</b> (typed: {html.escape(typed)}); every column "
                f"({html.escape(columns)}) reads this text.")
    return (f'<div class="lira-meta" data-query-normalizer="{state}" data-normalized-query="{html.escape(read)}">'
            f"{text}</div>")


def _language_line(result):
    lang = result["language"]
    probs = lang["probabilities"]
    detected = lang["detected"]
    head = f"language-ID head: <b>{html.escape(language_label(detected))}</b> (p = {probs.get(detected, 0):.2f})"
    if lang["given"]:
        given = f"language given: <b>{html.escape(language_label(lang['given']))}</b>"
    else:
        given = "language: <b>auto</b> (the head's soft language embedding is used)"
    return f'<div class="lira-meta" data-detected-language="{html.escape(detected)}">{given}; {head}</div>'


def _candidates_table(result):
    if not result["candidates"]:
        return ('<div class="lira-meta">No English candidates: LiRA runs in <b>LRL-only</b> mode '
                "(Arca's anchored vector).</div>")
    rows = []
    for i, cand in enumerate(result["candidates"], 1):
        sem, emo, prag = cand["scores"]
        mark = "&#10003; LiRA's choice" if cand["chosen"] else ""
        rows.append(f'<tr class="{"lira-chosen" if cand["chosen"] else ""}" data-chosen="{str(cand["chosen"]).lower()}">'
                    f"<td>{i}</td><td>{html.escape(cand['text'])}</td><td class='lira-score'>{sem:.2f}</td>"
                    f"<td class='lira-score'>{emo:.2f}</td><td class='lira-score'>{prag:.2f}</td><td>{mark}</td></tr>")
    return ('<div class="lira-meta">LiRA runs in <b>full</b> mode and uses one candidate: by default the one with '
            "the highest semantic critic score (its actor when <code>candidate_selection='actor'</code>).</div>"
            '<table class="lira-candidates"><tr><th>#</th><th>English candidate</th><th>sem</th><th>emo</th>'
            f"<th>prag</th><th></th></tr>{''.join(rows)}</table>")


def _ranking_table(name, rows, mode):
    title = SYSTEM_TITLES.get(name, name)
    if name == "lira":
        title += " (full mode)" if mode == "full" else " (LRL-only)"
    body = []
    for row in rows:
        local = f'<div class="lira-local">{html.escape(row["title"])}</div>' if row["title"] else ""
        body.append(f'<tr data-product-id="{html.escape(row["product_id"])}"><td>{row["rank"]}</td>'
                    f'<td>{html.escape(row["emoji"])} {html.escape(row["title_en"])}{local}</td>'
                    f'<td class="lira-score">{row["score"]:.3f}</td></tr>')
    return (f'<div class="lira-col"><h3>{html.escape(title)}</h3>'
            f'<table class="lira-results" data-system="{html.escape(name)}"><tr><th>#</th><th>product</th>'
            f"<th>cosine</th></tr>{''.join(body)}</table></div>")


def render_result(result):
    """The page's answer to a search (see `LiraSpaceSearcher.search` for `result`)."""
    tables = "".join(_ranking_table(name, rows, result["lira_mode"]) for name, rows in result["rankings"].items())
    return (f'<div class="lira-answer" data-seconds="{result["seconds"]}">{_query_line(result)}'
            f"{_language_line(result)}"
            f"{_candidates_table(result)}<div class='lira-grid'>{tables}</div>"
            f'<div class="lira-meta">answered in {result["seconds"]:.2f} s on this machine</div></div>')
