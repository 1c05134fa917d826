"""A simple limiter of report generation for anonymous visitors (issue 12, item 13).

Anonymous visitors of a public site may ask for commune sheets and council summaries; a
document already in the cache (:mod:`webmap.page_cache`) costs nothing, but each new one
takes a second or more of a worker. So each client address may start at most
``GENERATION_RATE_LIMIT = (count, seconds)`` generations per fixed window (default 20 per
minute), counted in the shared cache so every worker process sees the same count; past it the
answer is ``429`` with ``Retry-After``. With the default file cache, two processes counting at
the same instant may both pass: the bound is approximate by a few requests, never unbounded
(Redis counts exactly). Signed-in users are not limited.
"""

from __future__ import annotations

import time

from flask import Response, current_app, render_template, request

from webmap.cache import key_of, store
from webmap.i18n import translate

DEFAULT_LIMIT = (20, 60)


def refusal() -> Response | None:
    """Count one generation for this client; a 429 response if over the limit, else None."""
    count, window = current_app.config.get("GENERATION_RATE_LIMIT", DEFAULT_LIMIT)
    now = time.time()
    slot = int(now // window)
    key = key_of("generation", request.remote_addr or "", slot)
    used = (store().get(key) or 0) + 1
    store().set(key, used, timeout=int(window) + 1)
    if used <= count:
        return None
    wait = max(1, int((slot + 1) * window - now) + 1)
    message = translate("Trop de documents demandés. Réessayez dans {seconds} secondes.")
    response = current_app.make_response((render_template(
        "error.html", title=translate("Trop de demandes"),
        message=message.format(seconds=wait)), 429))
    response.headers["Retry-After"] = str(wait)
    return response
