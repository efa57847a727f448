"""A ``logging.Filter`` that redacts personal data and secrets from log records.

Attach it to a handler (every record the handler emits is redacted) or to a logger::

    >>> import logging, shieldwall
    >>> handler = logging.StreamHandler()
    >>> handler.addFilter(shieldwall.RedactingFilter())

The filter formats the record's message (``record.msg % record.args``), redacts it, and
stores the result in ``record.msg`` with ``record.args`` cleared, so formatters see only the
redacted text. The text of an attached exception (``record.exc_info``) is formatted and
redacted too (into ``record.exc_text``), as is ``record.stack_info``. Records are never
dropped.
"""

from __future__ import annotations

import logging

from shieldwall._native import Redactor

__all__ = ["RedactingFilter"]

# Formats exceptions the way logging.Formatter does by default.
_FORMATTER = logging.Formatter()


class RedactingFilter(logging.Filter):
    """Redacts ``record.msg`` / ``record.args`` (and exception text) of every log record.

    ``redactor`` defaults to ``shieldwall.Redactor()`` (the built-in catalog); ``name`` is
    ``logging.Filter``'s logger-name filter.
    """

    def __init__(self, redactor: Redactor | None = None, name: str = "") -> None:
        super().__init__(name)
        self.redactor = redactor if redactor is not None else Redactor()

    def filter(self, record: logging.LogRecord) -> bool:
        if not super().filter(record):
            return False
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: redact what is there, unformatted
            message = " ".join([str(record.msg), *map(str, record.args or ())])
        record.msg = self.redactor.redact(message).text
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = _FORMATTER.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redactor.redact(record.exc_text).text
        if record.stack_info:
            record.stack_info = self.redactor.redact(record.stack_info).text
        return True

    def __repr__(self) -> str:
        return f"RedactingFilter({self.redactor!r})"
