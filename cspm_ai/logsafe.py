"""Logging under `--debug`: SDK diagnostics for the user, with credentials taken out first.

At DEBUG the cloud SDKs log what they sign, send and receive: botocore writes
the canonical request (with `x-amz-security-token`), the signature and every
response body (a SageMaker model's JSON `Environment`, an STS AssumeRole
answer's XML `<SecretAccessKey>` and `<SessionToken>`); azure-core and
google-auth may log `Authorization` headers. One filter on the handler
rewrites every record, from any logger, before it is written: the header
forms SDKs log, then the same redaction that runs before storage
(`cspm_ai.redact.redact_text`: shapes, and secret-like names in assignments,
JSON members at any level of escaping, name/value pairs and XML elements).
"""

from __future__ import annotations

import logging
import re
import sys

from cspm_ai.redact import MARK, redact_text

# Header-like secrets in the forms SDKs log them: `Authorization: ...`, `'X-Amz-Security-Token': b'...'`,
# a canonical request's `x-amz-security-token:...` line, a SigV4 `Signature=` or `Signature:\n<hex>`.
_HEADER = re.compile(
    r"(?i)(?P<head>\b(?:authorization|proxy-authorization|x-amz-security-token|x-amz-session-token|"
    r"x-ms-client-secret|x-goog-api-key|api-key|ocp-apim-subscription-key|cookie|set-cookie)['\"]?\s*[:=]\s*(?:b(?=['\"]))?['\"]?)"
    r"(?P<value>[^'\"\r\n,}]+)"
)
_SIGNATURE = re.compile(r"(?i)(?P<head>\bsignature['\"]?\s*[:=]\s*b?['\"]?\s*)(?P<value>[0-9a-f]{32,})")
_BEARER = re.compile(r"(?i)(?P<head>\bbearer\s+)(?P<value>[A-Za-z0-9._~+/=-]{8,})")
# Google OAuth access tokens and refresh tokens, wherever they appear.
_MARKER = "_cspm_ai_debug_handler"
# The SDK loggers a normal run silences (their multi-line diagnostics become our one-line errors).
QUIET_LOGGERS = ("azure", "botocore", "boto3", "urllib3", "google")
_GOOGLE_TOKEN = re.compile(r"\b(?:ya29\.|1//)[0-9A-Za-z_-]{10,}")


def scrub(text: str) -> str:
    """`text` without credentials: the header forms SDKs log, then everything storage redacts."""
    text = _HEADER.sub(lambda m: m.group("head") + MARK.format(kind="header"), text)
    text = _SIGNATURE.sub(lambda m: m.group("head") + MARK.format(kind="signature"), text)
    text = _BEARER.sub(lambda m: m.group("head") + MARK.format(kind="bearer_token"), text)
    text = _GOOGLE_TOKEN.sub(MARK.format(kind="google_token"), text)
    return redact_text(text)


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (and traceback text) without credentials."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        record.exc_info = None
        return True


def configure_debug_logging(stream=None) -> logging.Handler:  # type: ignore[no-untyped-def]
    """Send every logger's DEBUG records to stderr through the redacting filter (once per process)."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _MARKER, False)]:
        root.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    setattr(handler, _MARKER, True)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for name in QUIET_LOGGERS:  # a quiet run earlier in this process silenced them
        logging.getLogger(name).setLevel(logging.NOTSET)
    return handler
