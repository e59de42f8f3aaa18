"""GET /admin without a browser: language choice, headers and the escaping rules."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from api.i18n import STRINGS

STATIC_DIR = Path(__file__).resolve().parents[2] / "api" / "static"


class ScriptCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.html_lang: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.scripts.append(dict(attrs))
        if tag == "html":
            self.html_lang = dict(attrs).get("lang")


def parse(html: str) -> ScriptCollector:
    collector = ScriptCollector()
    collector.feed(html)
    return collector


def page_language(client, path: str, **headers) -> str:
    response = client.get(path, headers=headers)
    assert response.status_code == 200
    lang = parse(response.get_data(as_text=True)).html_lang
    assert response.headers["Content-Language"] == lang
    return lang


@pytest.mark.parametrize(
    ("path", "accept_language", "expected"),
    [
        ("/admin", None, "pt-BR"),
        ("/admin/", None, "pt-BR"),
        ("/admin?lang=en", None, "en"),
        ("/admin?lang=EN-us", None, "en"),
        ("/admin?lang=pt-BR", "en-US,en;q=0.9", "pt-BR"),
        ("/admin?lang=pt", None, "pt-BR"),
        ("/admin", "en-US,en;q=0.9", "en"),
        ("/admin", "en", "en"),
        ("/admin", "pt-BR,pt;q=0.9,en;q=0.8", "pt-BR"),
        ("/admin", "fr-FR,fr;q=0.9", "pt-BR"),
        ("/admin?lang=de", "de", "pt-BR"),
    ],
)
def test_page_language(client, path, accept_language, expected):
    headers = {"Accept-Language": accept_language} if accept_language else {}

    assert page_language(client, path, **headers) == expected


def test_page_in_portuguese_by_default(client):
    html = client.get("/admin").get_data(as_text=True)

    assert STRINGS["pt-BR"]["title"] in html
    assert "Executar agora" in html
    assert "a cada 30 minutos" in html


def test_page_in_english(client):
    html = client.get("/admin?lang=en").get_data(as_text=True)

    assert "Stays reconciliation" in html
    assert "Run now" in html
    assert "every 30 minutes" in html


def test_page_sends_its_strings_as_json_data(client):
    html = client.get("/admin?lang=en").get_data(as_text=True)

    match = re.search(r'<script id="page-strings" type="application/json">(.*?)</script>', html)
    assert match is not None
    assert json.loads(match.group(1)) == STRINGS["en"]


def test_page_has_no_inline_script(client):
    scripts = parse(client.get("/admin").get_data(as_text=True)).scripts

    assert len(scripts) == 2
    for attributes in scripts:
        assert attributes.get("src") or attributes.get("type") == "application/json"
    assert not any(name.startswith("on") for attributes in scripts for name in attributes)


def test_page_security_headers(client):
    response = client.get("/admin")

    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


def test_page_static_files_are_served(client):
    script = client.get("/admin/static/status.js")
    style = client.get("/admin/static/status.css")

    assert script.status_code == 200
    assert "javascript" in script.mimetype
    assert style.status_code == 200
    assert style.mimetype == "text/css"


def test_page_script_never_parses_data_as_html():
    source = (STATIC_DIR / "status.js").read_text()

    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in source, sink


def test_page_token_in_session_storage():
    source = (STATIC_DIR / "status.js").read_text()

    assert "sessionStorage" in source
    assert "localStorage" not in source
    assert "document.cookie" not in source


def test_both_languages_have_the_same_strings():
    assert set(STRINGS["pt-BR"]) == set(STRINGS["en"])
    for lang, strings in STRINGS.items():
        for key, value in strings.items():
            assert value.strip(), (lang, key)
