"""Drives a running demo in headless Chromium (Debian's `/usr/bin/chromium` through Playwright; no browser download).

Used by `tests/space/test_space.py` and for screenshots of a real run (not uploaded to the Space)::

    python space/browser_check.py --url http://127.0.0.1:7860 --search th "สีฟ้า" --search bn "ট্যাকো" \\
        --screenshot artifacts/space/screenshot-real.png

Every request to a host other than the demo's is aborted, so the page cannot reach the network.
"""

import argparse
import json
import os
import sys
from urllib.parse import urlparse

CHROMIUM = os.environ.get("LIRA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


class LiraSpaceBrowser:
    """A headless Chromium page on the demo at `url`; use as a context manager.

    Args:
        url (`str`): the demo's address, e.g. `http://127.0.0.1:7860`.
        timeout_s (`float`, *optional*, defaults to 60): longest wait for the page or an answer.
        viewport (`tuple[int, int]`, *optional*): page size in pixels (the screenshot is the full page).
    """

    def __init__(self, url, timeout_s=60, viewport=(1400, 1000)):
        if not os.path.exists(CHROMIUM):
            raise RuntimeError(f"Chromium is not installed at {CHROMIUM}; install it with `apt-get install -y "
                               "chromium` (scripts/install.sh does) or point LIRA_CHROMIUM at a Chromium binary.")
        self.url = url
        self.timeout_ms = int(timeout_s * 1000)
        self.viewport = viewport
        self._host = urlparse(url).netloc

    def __enter__(self):
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        self._browser = self._pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        self.page = self._browser.new_page(viewport={"width": self.viewport[0], "height": self.viewport[1]})
        self.page.set_default_timeout(self.timeout_ms)
        self.page.route("**/*", lambda route: route.continue_() if urlparse(route.request.url).netloc == self._host
                        else route.abort())
        self.page.goto(self.url, wait_until="domcontentloaded")
        self.page.wait_for_selector("#lira-query textarea, #lira-query input")
        return self

    def __exit__(self, *exc):
        self._browser.close()
        self._pw.stop()

    def _fill(self, elem_id, value):
        box = self.page.locator(f"#{elem_id} textarea, #{elem_id} input").first
        box.fill(value)

    def search(self, query, language="auto", candidates=""):
        """Fills the form, clicks Search and reads the answer.

        Returns:
            `dict`: `error` (the message shown, or `None`), `detected` (language code), `chosen` (the candidate
            marked as LiRA's choice, or `None`), `normalized` (the line on the query normalizer, as shown),
            `read` (the query every column read) and `rankings` (system -> product ids in page order).
        """
        page = self.page
        previous = page.locator("#lira-output .lira-answer, #lira-output .lira-error").count()
        if previous:  # mark the old answer so we wait for a new one
            page.evaluate("document.querySelectorAll('#lira-output .lira-answer, #lira-output .lira-error')"
                          ".forEach(e => e.setAttribute('data-stale', '1'))")
        self._fill("lira-query", query)
        self._fill("lira-language", language)
        page.keyboard.press("Escape")  # close the dropdown's list
        self._fill("lira-candidates", candidates)
        page.click("#lira-search")
        page.wait_for_selector("#lira-output .lira-answer:not([data-stale]), #lira-output .lira-error:not([data-stale])")
        error = page.locator("#lira-output .lira-error")
        if error.count():
            return {"error": error.first.inner_text(), "detected": None, "chosen": None, "normalized": None,
                    "read": None, "rankings": {}}
        rankings = {}
        for table in page.locator("#lira-output table.lira-results").all():
            ids = [row.get_attribute("data-product-id") for row in table.locator("tr[data-product-id]").all()]
            rankings[table.get_attribute("data-system")] = ids
        chosen = page.locator("#lira-output table.lira-candidates tr[data-chosen=true] td:nth-child(2)")
        normalized = page.locator("#lira-output [data-query-normalizer]").first
        return {"error": None, "normalized": normalized.inner_text(),
                "read": normalized.get_attribute("data-normalized-query"),
                "detected": page.locator("#lira-output [data-detected-language]").first.get_attribute(
                    "data-detected-language"),
                "chosen": chosen.first.inner_text() if chosen.count() else None,
                "rankings": rankings}

    def screenshot(self, path):
        """Writes a full-page PNG of the current page to `path` (folders created; temp file, then rename)."""
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        tmp = path + ".tmp.png"
        self.page.screenshot(path=tmp, full_page=True)
        os.replace(tmp, path)
        return path


def main(argv=None):
    p = argparse.ArgumentParser(description="Search a running LiRA demo in headless Chromium.")
    p.add_argument("--url", required=True)
    p.add_argument("--search", nargs="+", action="append", metavar=("LANG", "QUERY"), required=True,
                   help="LANG QUERY [CANDIDATE ...]; repeat for several searches (the last one stays on screen)")
    p.add_argument("--screenshot", help="PNG path for a full-page screenshot after each search (suffix -N added)")
    args = p.parse_args(argv)
    with LiraSpaceBrowser(args.url) as browser:
        for n, (lang, query, *cands) in enumerate(args.search, 1):
            print(json.dumps(browser.search(query, lang, "\n".join(cands)), ensure_ascii=False))
            if args.screenshot:
                root, ext = os.path.splitext(args.screenshot)
                print(browser.screenshot(f"{root}-{n}{ext or '.png'}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
