"""Removes credential-looking values from cloud documents before anything stores or shows them.

Two nets, because secrets show up two ways in AI resource configuration:
- by shape: values that are unmistakably credentials wherever they appear
  (AWS key ids, PEM private keys, provider tokens, passwords inside URLs);
- by name: a value stored under a secret-like name (`DB_PASSWORD`, `api_key`,
  `export HF_TOKEN=...` in a script) that is not a reference to a vault.

Each hit is replaced by `[REDACTED:<kind>]` and reported as (path, kind); the
value itself is never kept. Base64 notebook lifecycle scripts are decoded,
redacted and re-encoded so the stored script stays readable and safe; any
other base64 run that decodes to text holding a credential (a service account
key file in an environment variable) is replaced whole.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

MARK = "[REDACTED:{kind}]"

# Shapes that are credentials wherever they appear. Order matters: the most
# specific first, so a PEM block is not partly eaten by a generic token rule.
_SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "private_key",
        re.compile(
            r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----.*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|\Z)", re.DOTALL
        ),
    ),
    ("aws_access_key_id", re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Z0-9])")),
    ("github_token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})")),
    # Before OpenAI's rule, which would otherwise claim `sk-ant-...` as its own.
    ("anthropic_api_key", re.compile(r"\bsk-ant-[A-Za-z0-9_-]{20,}")),
    ("openai_api_key", re.compile(r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}")),
    ("huggingface_token", re.compile(r"\bhf_[A-Za-z0-9]{30,}")),
    ("google_api_key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}")),
    ("slack_token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    ("azure_storage_key", re.compile(r"(?<=AccountKey=)[A-Za-z0-9+/=]{40,}")),
    # Service Bus, Event Hubs and IoT Hub connection strings.
    ("azure_shared_access_key", re.compile(r"(?<=SharedAccessKey=)[A-Za-z0-9+/=]{40,}")),
    # A storage account key on its own: 64 random bytes are 86 base64 characters and "==".
    ("azure_storage_key", re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{86}==(?![A-Za-z0-9+/=])")),
    # Entra ID (Azure AD) client secrets: three characters, a digit, "Q~", then 31 to 34 more.
    (
        "azure_client_secret",
        re.compile(
            r"(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34}"
            r"(?![A-Za-z0-9_~.-])"
        ),
    ),
    # A SAS token's signature, inside a URL or as a bare token string (`sv=...&sig=...` or `sig=...`).
    ("azure_sas_signature", re.compile(r"(?<=\bsig=)[A-Za-z0-9%+/=]{20,}")),
)

# Base64 text hiding a credential: a service account key file or PEM block put in an environment
# variable or a script base64-encoded. Shorter runs are ids and digests, not worth decoding.
_BASE64_RUN = re.compile(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{40,}={0,2}(?![A-Za-z0-9+/=])")

# user:password@ inside any URL-like string; only the password is removed.
_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@]+:)(?P<pw>[^\s@/]+)(?=@)")

# Words that make a name secret-like; matched on the name's words (camelCase and
# separators split), so "bypass" or "MAX_TOTAL_TOKENS" are not mistaken for secrets.
_SECRET_WORDS = frozenset(
    {
        "password",
        "passwd",
        "pass",
        "pwd",
        "passphrase",
        "secret",
        "token",
        "apikey",
        "credential",
        "credentials",
        "sas",
        "connectionstring",
    }
)
_SECRET_PAIRS = frozenset(
    {
        ("api", "key"),
        ("access", "key"),
        ("private", "key"),
        ("client", "secret"),
        ("connection", "string"),
        ("auth", "key"),
        ("account", "key"),
        ("conn", "str"),
        ("storage", "key"),
        ("shared", "key"),
        ("master", "key"),
        ("subscription", "key"),
    }
)
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
# Names that carry a secret-like word but hold no secret (ids, ARNs of keys).
_NOT_SECRET_NAME = re.compile(
    r"(?i)(?:kms|key_?id$|keyid$|arn$|_arn|name$|path$|file$|url$|uri$|type$|enabled$|expir|"
    r"rotation|length|policy|version|secretsmanager|parameter)"
)
# `NAME=value`, `export NAME="value"`, `NAME: value` in scripts and command lines.
_ASSIGNMENT = re.compile(
    r"(?P<name>\b[A-Za-z_][A-Za-z0-9_.-]*)(?P<sep>\s*[=:]\s*|\s+)(?P<q>[\"']?)(?P<value>[^\s\"';&|]+)(?P=q)"
)
# Values that point at a vault or are resolved at run time: storing them is the good practice.
_REFERENCE = re.compile(
    r"^(?:\$\{?[A-Za-z_]|\{\{resolve:|arn:aws[a-z-]*:(?:secretsmanager|ssm|kms):|"
    r"https://[a-z0-9-]+\.vault\.azure\.net/|projects/[^/]+/secrets/|@Microsoft\.KeyVault|"
    r"\[REDACTED:|\*+$|<[^>]*>$|true$|false$|none$|null$)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Redaction:
    path: str
    kind: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "kind": self.kind}


@dataclass
class _Walk:
    found: list[Redaction] = field(default_factory=list)

    def note(self, path: str, kind: str) -> None:
        if Redaction(path, kind) not in self.found:
            self.found.append(Redaction(path, kind))


def _entropy(value: str) -> float:
    counts = {c: value.count(c) for c in set(value)}
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def _looks_like_secret_value(value: str) -> bool:
    """A value under a secret-like name is treated as a secret unless it is a reference or trivial."""
    value = value.strip()
    if len(value) < 6 or _REFERENCE.match(value):
        return False
    return _entropy(value) >= 2.0


def _secret_name(name: str) -> bool:
    words = [w.lower() for w in _WORD.findall(name)]
    secret = any(w in _SECRET_WORDS for w in words) or any(p in _SECRET_PAIRS for p in pairwise(words))
    return secret and not _NOT_SECRET_NAME.search(name)


def redact_text(text: str, on_hit: Callable[[str], None] | None = None) -> str:
    """Text with every credential removed; `on_hit(kind)` is told of each kind found."""

    def hit(kind: str) -> str:
        if on_hit is not None:
            on_hit(kind)
        return MARK.format(kind=kind)

    def encoded(m: re.Match[str]) -> str:
        decoded = _decode_script(m.group(0))
        if decoded is None:
            return m.group(0)
        inner: list[str] = []
        redact_text(decoded, inner.append)
        if not inner:
            return m.group(0)
        for kind in inner[1:]:
            hit(kind)
        return hit(inner[0])

    text = _BASE64_RUN.sub(encoded, text)
    for kind, pattern in _SHAPES:
        text = pattern.sub(_marking(hit, kind), text)
    text = _URL_PASSWORD.sub(lambda m: m.group("head") + hit("url_password"), text)
    return _redact_assignments(text, hit)


def _marking(hit: Callable[[str], str], kind: str) -> Callable[[re.Match[str]], str]:
    """A re.sub replacement that marks every match as a credential of `kind`."""
    return lambda _m: hit(kind)


def _assignment(m: re.Match[str], hit: Callable[[str], str]) -> str | None:
    """The redacted assignment `m` matched, or None when it is not a secret assignment."""
    if not _secret_name(m.group("name")) or not _looks_like_secret_value(m.group("value")):
        return None
    is_flag = m.string[max(0, m.start("name") - 2) : m.start("name")].endswith("-")
    if m.group("sep").strip() == "" and not (m.group("name").isupper() or is_flag):
        # "password reset" in prose is not an assignment; `--db_password x` on a
        # command line (script mode hyperparameters, echoed in FailureReason) is.
        return None
    return f"{m.group('name')}{m.group('sep')}{m.group('q')}{hit('secret_assignment')}{m.group('q')}"


def _redact_assignments(text: str, hit: Callable[[str], str]) -> str:
    # Not re.sub: a word that is not an assignment must not swallow the next one as its value
    # ("boom with token=...", "python3 -u train.py --db_password ..."), so the search resumes
    # right after each name that was let through.
    parts: list[str] = []
    pos = 0
    while (m := _ASSIGNMENT.search(text, pos)) is not None:
        replacement = _assignment(m, hit)
        if replacement is None:
            parts.append(text[pos : m.end("name")])
            pos = m.end("name")
        else:
            parts.append(text[pos : m.start()] + replacement)
            pos = m.end()
    parts.append(text[pos:])
    return "".join(parts)


def _decode_script(value: str) -> str | None:
    try:
        raw = base64.b64decode(value, validate=True)
        return raw.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def _redact_string(value: str, path: str, key: str | None, walk: _Walk) -> str:
    kinds: list[str] = []
    if key == "Content" and (script := _decode_script(value)) is not None:
        # Notebook lifecycle scripts arrive base64-encoded.
        cleaned = redact_text(script, kinds.append)
        for kind in kinds:
            walk.note(path, kind)
        return base64.b64encode(cleaned.encode()).decode() if kinds else value
    if key is not None and _secret_name(key) and _looks_like_secret_value(value):
        walk.note(path, "secret_by_name")
        return MARK.format(kind="secret_by_name")
    cleaned = redact_text(value, kinds.append)
    for kind in kinds:
        walk.note(path, kind)
    return cleaned


_NAME_VALUE_PAIRS = (("Key", "Value"), ("name", "value"))


def _redact(node: Any, path: str, key: str | None, walk: _Walk) -> Any:
    if isinstance(node, str):
        return _redact_string(node, path, key, walk)
    if isinstance(node, dict):
        # AWS tag lists ({"Key": k, "Value": v}) and container env lists ({"name": k, "value": v}, as
        # Vertex AI and Kubernetes write them) name the secret in the sibling key.
        value_key, pair_name = next(
            ((v, node[n]) for n, v in _NAME_VALUE_PAIRS if isinstance(node.get(n), str) and v in node), (None, None)
        )
        out: dict[Any, Any] = {}
        for k, v in node.items():
            name = pair_name if (k == value_key and pair_name) else str(k)
            out[k] = _redact(v, f"{path}.{k}" if path else str(k), name, walk)
        return out
    if isinstance(node, list):
        return [_redact(v, f"{path}.{i}" if path else str(i), key, walk) for i, v in enumerate(node)]
    return node


def redact(document: Any, *, prefix: str = "") -> tuple[Any, list[Redaction]]:
    """A copy of `document` with secrets replaced, and where each one was."""
    walk = _Walk()
    cleaned = _redact(document, prefix, None, walk)
    return cleaned, walk.found
