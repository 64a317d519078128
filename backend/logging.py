"""structlog JSON logging on stdout.

One line per request (``backend.middleware``) and, later, one line per audit event. Nothing
logged here may carry a secret, a token, a raw client id or a score: callers pass route
templates and pseudonyms only.
"""

from __future__ import annotations

import logging
import sys

import structlog

_configured = False


def configure_logging(level: str = "INFO") -> None:
    global _configured
    if _configured:
        return
    logging.basicConfig(format="%(message)s", stream=sys.stdout, level=level.upper())
    # Uvicorn's access log prints raw paths (which carry client ids): ours replaces it.
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("uvicorn.access").propagate = False
    # The server logs an unhandled error with its traceback, whose message may carry data we
    # must not log (our 500 handler logs the type): keep the line, drop the text (issue 14).
    for name in ("uvicorn.error", "gunicorn.error"):
        logging.getLogger(name).addFilter(_exception_type_only)
    # Alembic's migration context announces itself on every readiness probe.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(sort_keys=True),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stdout),
        cache_logger_on_first_use=False,
    )
    _configured = True


def _exception_type_only(record: logging.LogRecord) -> bool:
    if record.exc_info and record.exc_info[0] is not None:
        record.msg = f"{record.getMessage()} ({record.exc_info[0].__name__}; message withheld)"
        record.args = None
        record.exc_info = None
        record.exc_text = None
    return True


def get_logger(name: str = "octroi") -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)
