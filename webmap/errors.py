"""Error pages and JSON errors: a proper 404, a 400 naming the parameter, no traceback ever."""

from __future__ import annotations

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError, NotFound

from webmap.i18n import translate

SERVER_ERROR = "Une erreur est survenue. Elle a été consignée ; réessayez plus tard."


class ApiError(Exception):
    """A bad request parameter: ``parameter`` is its name, ``message`` says what was wrong."""

    def __init__(self, parameter: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.message = message
        self.status = status


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def init_app(app: Flask) -> None:
    """Register the handlers."""

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> tuple[Response | str, int]:
        if _wants_json():
            return jsonify({"error": exc.message, "parameter": exc.parameter}), exc.status
        return render_template("error.html", title=translate("Requête invalide"),
                               message=exc.message), exc.status

    @app.errorhandler(NotFound)
    def _not_found(exc: NotFound) -> tuple[Response | str, int]:
        message = exc.description if getattr(exc, "rollout_message", False) else None
        if _wants_json():
            return jsonify({"error": message or "not found", "parameter": None}), 404
        return render_template(
            "error.html", title=translate("Page introuvable"),
            message=message or translate("Cette page n'existe pas."),
        ), 404

    @app.errorhandler(InternalServerError)
    def _server_error(exc: InternalServerError) -> tuple[Response | str, int]:
        # Flask has already logged the original exception; the user never sees it.
        if _wants_json():
            return jsonify({"error": "internal server error", "parameter": None}), 500
        return render_template(
            "error.html", title=translate("Erreur du serveur"),
            message=translate(SERVER_ERROR),
        ), 500

    @app.errorhandler(HTTPException)
    def _other(exc: HTTPException) -> tuple[Response | str, int]:
        if _wants_json():
            return jsonify({"error": exc.description, "parameter": None}), exc.code or 500
        title = translate("Requête invalide") if exc.code == 400 else exc.name
        return render_template("error.html", title=title, message=exc.description), (
            exc.code or 500)


def not_found(message: str) -> NotFound:
    """A 404 whose (user-safe) message is shown on the error page."""
    exc = NotFound(message)
    exc.rollout_message = True  # type: ignore[attr-defined]
    return exc
