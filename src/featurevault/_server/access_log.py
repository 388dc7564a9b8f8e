"""Structured (JSON lines) access log, written by a background thread.

The request path only builds a ``LogRecord`` and puts it on a queue; the
:class:`~logging.handlers.QueueListener` thread formats and writes it, so a
slow disk or pipe never slows an answer.
"""

from __future__ import annotations

import logging
import queue
import sys
from datetime import UTC, datetime
from logging.handlers import QueueHandler, QueueListener
from typing import IO, Any

import orjson

ACCESS_LOGGER = "featurevault._server.access"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: the record's ``access`` fields plus time and level."""

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        access = getattr(record, "access", None)
        if isinstance(access, dict):
            fields.update(access)
        else:
            fields["message"] = record.getMessage()
        return orjson.dumps(fields).decode()


class _PassThroughQueueHandler(QueueHandler):
    # The default prepare() formats the message on the caller's thread; the listener formats instead.
    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        return record


class AccessLog:
    """Owns the queue, the handler on the access logger and the writer thread."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.logger = logging.getLogger(ACCESS_LOGGER)
        self.queue: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
        self.handler = _PassThroughQueueHandler(self.queue)
        output = logging.StreamHandler(stream or sys.stderr)
        output.setFormatter(JsonFormatter())
        self.listener = QueueListener(self.queue, output, respect_handler_level=False)
        self.started = False

    def start(self) -> None:
        if self.started:
            return
        self.logger.addHandler(self.handler)
        self.logger.setLevel(logging.INFO)
        self.logger.propagate = False
        self.listener.start()
        self.started = True

    def stop(self) -> None:
        if not self.started:
            return
        self.logger.removeHandler(self.handler)
        self.listener.stop()  # flushes what is queued
        self.started = False

    def record(self, fields: dict[str, Any]) -> None:
        if self.started:
            self.logger.info("access", extra={"access": fields})
