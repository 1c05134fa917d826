"""Responses served from the shared cache (issue 13.3).

A page, API or report response is kept per (data version, route, validated parameters,
language, permission set, today's date) with its gzip body computed once; it carries a strong
``ETag`` (a digest of the exact bytes sent: the gzip body has its own) and a ``304`` answers a
matching ``If-None-Match``. Only 200 answers are kept: a refused parameter (400) never makes an
entry, and only the parameters a route reads are part of its key, so made-up parameters can
neither evict entries nor start work.

A cached HTML page cannot carry a per-request CSP nonce (the bytes are the same for everyone):
when it is stored its nonces are removed and its inline ``<script>``/``<style>`` elements
are allowed by their sha256 instead, in a policy stored with it.

``Cache-Control``: ``public, max-age=60`` on what is served from here (an import shows within
a minute, and a revalidation costs a 304); :func:`webmap.security.cache_policy`, the site's
one policy, turns it into ``no-store`` for signed-in users and every non-public view (legal
reports among them).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import re
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from flask import Response, current_app, g, make_response, request

from webmap.auth import current_user, permission_key
from webmap.cache import data_version, key_of, store
from webmap.compress import COMPRESSIBLE, MIN_BYTES
from webmap.i18n import current_language
from webmap.params import today
from webmap.security import content_security_policy

PUBLIC_MAX_AGE = 60
_KEPT_HEADERS = ("Content-Disposition",)
_INLINE = re.compile(r"<(script|style)\b([^>]*)>(.*?)</\1\s*>", re.IGNORECASE | re.DOTALL)


def _hash_source(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def _freeze_policy(body: bytes) -> tuple[bytes, str]:
    """``body`` without this request's nonce and the CSP allowing its inline elements."""
    nonce = g.get("csp_nonce")
    text = body.decode("utf-8")
    if nonce:
        text = text.replace(f' nonce="{nonce}"', "")
    scripts: list[str] = []
    styles: list[str] = []
    for tag, attributes, content in _INLINE.findall(text):
        if tag.lower() == "style":
            styles.append(_hash_source(content))
        elif "src=" not in attributes.lower() and content.strip():
            scripts.append(_hash_source(content))
    policy = content_security_policy(current_app.config.get("TILES"), None,
                                     list(dict.fromkeys(styles)), list(dict.fromkeys(scripts)))
    return text.encode("utf-8"), policy


def _entries(response: Response, meta: dict) -> dict[str, dict[str, Any]]:
    """The response frozen for the cache: one entry per encoding (``identity``, and ``gzip``
    when worth it), so a request reads only the bytes it sends."""
    body = response.get_data()
    policy = None
    if response.mimetype == "text/html":
        body, policy = _freeze_policy(body)
    digest = hashlib.sha256(body).hexdigest()[:32]
    common = {"policy": policy, "content_type": response.content_type, "meta": meta,
              "headers": {h: response.headers[h] for h in _KEPT_HEADERS
                          if h in response.headers}}
    out = {"identity": {**common, "body": body, "etag": digest}}
    if response.mimetype in COMPRESSIBLE and len(body) >= MIN_BYTES:
        out["gzip"] = {**common, "body": gzip.compress(body, compresslevel=6, mtime=0),
                       "etag": digest + ".gz", "headers": {**common["headers"],
                                                           "Content-Encoding": "gzip"}}
    return out


def _serve(entry: dict[str, Any]) -> Response:
    if request.if_none_match.contains_weak(entry["etag"]):
        response = Response(status=304)
    else:
        response = Response(entry["body"], content_type=entry["content_type"],
                            headers=entry["headers"])
    response.set_etag(entry["etag"])
    response.vary.update(("Accept-Encoding", "Accept-Language", "Cookie"))
    if entry["policy"] is not None:
        response.headers["Content-Security-Policy"] = entry["policy"]
    response.headers["Cache-Control"] = f"public, max-age={PUBLIC_MAX_AGE}"
    return response


def respond(parts: tuple, render: Callable[[], tuple[Response, dict]], *,
            personal: bool = False) -> tuple[Response, dict]:
    """The response for this request from the cache, else ``render()`` stored (200 only).

    ``render`` returns the response and metadata kept with it (a report's id); ``parts`` are
    the validated parameters the route reads. Returns the response and the metadata.
    ``personal``: the page shows who is signed in (name, sign-out form with its CSRF token),
    so a signed-in user's copy is never shared — it is rendered (from the shared snapshot).
    """
    if personal and current_user() is not None:
        return render()
    # A Core connection, not an ORM session: this query is half the work of a cached answer.
    with current_app.extensions["rollout_engine"].connect() as connection:
        version = data_version(connection)
    config = current_app.config
    key = key_of("response", version, request.endpoint, parts, current_language(),
                 permission_key(), today(), config.get("TILES"),
                 config.get("TILES_ATTRIBUTION"), config.get("METRIC_CRS"),
                 config.get("MAP_TILES_ABOVE"))
    gzipped = "gzip" in request.headers.get("Accept-Encoding", "").lower()
    entry = store().get(key + (":gzip" if gzipped else ":identity"))
    if entry is None:
        g.served_stale = False
        response, meta = render()
        if response.status_code != 200 or response.direct_passthrough:
            return response, meta
        entries = _entries(response, meta)
        if not g.served_stale:
            for encoding, frozen in entries.items():
                store().set(f"{key}:{encoding}", frozen)
            if "gzip" not in entries:  # nothing to gain by compressing: the same bytes
                store().set(f"{key}:gzip", entries["identity"])
        entry = entries["gzip" if gzipped and "gzip" in entries else "identity"]
    return _serve(entry), entry["meta"]


def arguments(names: Iterable[str | Callable[[], object]]) -> tuple:
    """The key part of the query parameters a route reads: each name's values as given
    (routes that read them refuse a bad value with a 400), or what a callable returns (the
    value a route falls back to when it ignores a bad one)."""
    return tuple(name() if callable(name) else (name, tuple(request.args.getlist(name)))
                 for name in names)


def cached_view(*names: str | Callable[[], object], personal: bool = True,
                strict: bool = False) -> Callable:
    """Serve a view from the cache; ``names``: the query parameters it reads (see
    :func:`arguments`); HTML pages are ``personal`` (see :func:`respond`), API answers and
    CSV files are not. ``strict``: the view refuses other parameters (the API): a request
    with one goes to the view, for its 400."""
    known = {name for name in names if isinstance(name, str)} | {"lang"}

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Response:
            if strict and not known.issuperset(request.args):
                return make_response(view(*args, **kwargs))
            parts = (tuple(sorted(kwargs.items())), arguments(names))
            def render() -> tuple[Response, dict]:
                return make_response(view(*args, **kwargs)), {}

            return respond(parts, render, personal=personal)[0]

        return wrapper

    return decorate
