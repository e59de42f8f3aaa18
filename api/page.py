"""The status page at /admin.

The HTML carries no data and needs no token: its script reads the token from the tab's
sessionStorage and fetches /api/admin/dashboard with it. Every text from the API is put
on the page with textContent, and the Content-Security-Policy allows no inline script, so a
guest name or log message containing markup shows as text.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from api.i18n import LANGUAGES, STRINGS, choose_language
from api.schedule import describe_cron

blueprint = Blueprint(
    "page",
    __name__,
    url_prefix="/admin",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


@blueprint.get("")
@blueprint.get("/")
def status_page():
    lang = choose_language(request)
    cron = current_app.config["RECONCILE_CRON"]
    html = render_template(
        "status.html",
        lang=lang,
        languages=LANGUAGES,
        text=STRINGS[lang],
        schedule_text=describe_cron(cron, lang),
        cron=cron,
    )
    headers = {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "Content-Language": lang,
        "Vary": "Accept-Language",
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
    }
    return html, 200, headers
