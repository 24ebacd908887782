"""Removes credential-looking values from cloud documents before anything stores or shows them.

Two nets, because secrets show up two ways in AI resource configuration:
- by shape: values that are unmistakably credentials wherever they appear
  (AWS key ids, PEM private keys, provider tokens, passwords inside URLs);
- by name: a value stored under a secret-like name (`DB_PASSWORD`, `PGPASSWORD`,
  `api_key`, `export HF_TOKEN=...` in a script) that is not a reference to a
  vault, or a random-looking key under a name ending in `KEY`
  (`AZURE_OPENAI_KEY`).

Names are found the same way in a document's keys and in text: `NAME=value`,
`NAME: value`, JSON members (`"NAME": "value"`, at any level of escaping, so
JSON inside a string or a logged response body is covered), name/value pairs
(`{"name": N, "value": V}`, `<Key>N</Key><Value>V</Value>`) and XML elements
(`<SecretAccessKey>...</SecretAccessKey>`). `Authorization` headers and bearer
tokens count as credentials wherever they appear.

Each hit is replaced by `[REDACTED:<kind>]` and reported as (path, kind); the
value itself is never kept. Base64 scripts (notebook lifecycle `Content`,
Azure ML setup `scriptData`) are decoded, redacted and re-encoded so the
stored script stays readable and safe; any other base64 text that decodes to
text holding a credential (a service account key file in an environment
variable, or wrapped over several lines in a heredoc) is replaced whole.
"""

from __future__ import annotations

import base64
import binascii
import functools
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
# variable or a script base64-encoded. Shorter runs are ids and digests, not worth decoding. A run
# starts after a non-base64 character or after an escaped line break (`\n` in logged JSON).
_B64_START = r"(?:(?<![A-Za-z0-9+/=\\])|(?<=\\[nrt]))"
_BASE64_RUN = re.compile(_B64_START + r"[A-Za-z0-9+/]{40,}={0,2}(?![A-Za-z0-9+/=])")
# The same wrapped over lines, as `base64` writes by default (76 columns) or PEM bodies (64): a
# heredoc in a script, or an environment value. Lines may break for real or as (JSON, repr) escapes.
_LINE_BREAK = r"(?:[ \t]*(?:\r?\n|(?:\\+r)?\\+n)[ \t]*)"
_BASE64_BLOCK = re.compile(
    _B64_START
    + r"[A-Za-z0-9+/]{40,}(?:"
    + _LINE_BREAK
    + r"[A-Za-z0-9+/]{40,})*"
    + _LINE_BREAK
    + r"[A-Za-z0-9+/]+={0,2}(?![A-Za-z0-9+/=])"
)
_BREAK = re.compile(_LINE_BREAK)

# user:password@ inside any URL-like string; only the password is removed.
_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@]+:)(?P<pw>[^\s@/]+)(?=@)")

# HTTP credentials in scripts and command lines (`curl -H "Authorization: Bearer ..."`) and logs.
_AUTHORIZATION = re.compile(
    r"(?i)(?P<head>\b(?:proxy-)?authorization\b[\"']?\s*[:=]\s*(?:b(?=[\"']))?[\"']?\s*"
    r"(?:(?P<scheme>bearer|basic|token|digest|negotiate|sharedkey(?:lite)?|sharedaccesssignature|apikey|key)\s+)?)"
    r"(?P<value>[^\s\"'\\,;]{8,})"
)
_BEARER = re.compile(r"(?i)(?P<head>\bbearer\s+)(?P<value>[A-Za-z0-9._~+/-]{8,}=*)")

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
# A word that ends in one of these is secret-like too: `PGPASSWORD`, `DBPASSWORD`, `HFTOKEN`.
# ("pass" and "pwd" are left out: "bypass", "compass".)
_SECRET_SUFFIXES = (
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "credential",
    "credentials",
    "connectionstring",
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
# A name ending in a plain "key" (AZURE_OPENAI_KEY, SIGNING_KEY) holds a secret only when the value
# looks random; these qualifiers name keys that never are secrets.
_PLAIN_KEY_QUALIFIERS = frozenset(
    {
        "public",
        "partition",
        "sort",
        "primary",
        "foreign",
        "object",
        "s3",
        "cache",
        "idempotency",
        "dedup",
        "deduplication",
        "routing",
        "hash",
        "range",
        "row",
        "lookup",
        "shard",
        "group",
        "label",
        "metric",
        "feature",
    }
)
# Command-line flags whose value names a secret rather than holding it.
_NAMING_FLAGS = frozenset({"secret", "secrets", "set-secrets", "update-secrets"})
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
# Names that carry a secret-like word but hold no secret (ids, ARNs of keys, settings about secrets).
_NOT_SECRET_NAME = re.compile(
    r"(?i)(?:key_?id$|keyid$|arn$|_arn|name$|path$|file$|url$|uri$|type$|enabled$|expir|"
    r"rotation|length|policy|version|secretsmanager|parameter|client_?(?:request_?)?token$|idempotency)"
)
# Last words of names that describe a secret rather than hold it: SecretId, PasswordLastUsed, TOKEN_COUNT.
_NOT_SECRET_LAST_WORDS = frozenset({"id", "ids", "date", "time", "timestamp", "used", "required", "count", "alias"})
# An ARN naming a secret, parameter or key is a reference to where a secret lives, whole: its
# `secret:<name>` tail is not a `name: value` assignment.
_VAULT_ARN = re.compile(r"^arn:aws[a-z-]*:(?:secretsmanager|ssm|kms):[^\s]*$")
# Objects that point at a secret in a vault (Vertex AI `secretEnv[].secretRef`, Kubernetes
# `valueFrom.secretKeyRef`): `{"secret": "hf-token", "version": "3"}` names the secret.
_REFERENCE_PARENTS = frozenset({"secretRef", "secretKeyRef", "secret_ref", "secretKeySelector"})
# Field names that say nothing by themselves; under a secret-like parent they hold its secret.
_GENERIC_FIELDS = frozenset({"key", "value", "primary", "secondary", "primarykey", "secondarykey"})
_VAULT_ARN_IN_TEXT = re.compile(r"\barn:aws[a-z-]*:(?:secretsmanager|ssm|kms):[^\s\"'\\,;&|<>]*")
# `NAME=value`, `export NAME="value"`, `NAME: value` in scripts and command lines.
_ASSIGNMENT = re.compile(
    r"(?P<name>\b[A-Za-z_][A-Za-z0-9_.-]*)(?P<sep>\s*[=:]\s*|\s+)(?P<q>[\"']?)(?P<value>[^\s\"';&|]+)(?P=q)"
)
# A quote as it appears at some level of escaping: `"` in JSON, `\"` in JSON inside a JSON string,
# `\\"` in the Python repr of that (botocore's logged bodies), `'` in a Python dict repr.
_QUOTE = r"(?<![\\\w])(?P<q>\\*[\"'])"
# `"NAME": "value"`: a JSON (or Python dict) member whose value is a string.
_JSON_MEMBER = re.compile(
    _QUOTE + r"(?P<name>[A-Za-z_][A-Za-z0-9_.-]{0,127})(?P=q)\s*:\s*(?P<vq>\\*[\"'])"
    r"(?P<value>[^\r\n]{0,4096}?)(?<!\\)(?P=vq)"
)
# `{"name": "NAME", "value": "..."}` (container env lists) and `{"Key": "NAME", "Value": "..."}` (AWS tags).
_JSON_PAIR = re.compile(
    _QUOTE + r"(?:name|Name|key|Key)(?P=q)\s*:\s*(?P=q)(?P<name>[^\"'\\\r\n]{1,200})(?P=q)\s*,\s*"
    r"(?P=q)(?:value|Value)(?P=q)\s*:\s*(?P=q)(?P<value>[^\r\n]{0,4096}?)(?<!\\)(?P=q)"
)
# `<SecretAccessKey>...</SecretAccessKey>` (STS answers, any `<...Password>`), and XML tag pairs.
_XML_ELEMENT = re.compile(r"<(?P<name>[A-Za-z_][\w.:-]{0,127})(?:\s[^<>]*)?>(?P<value>[^<]{1,4096})</(?P=name)\s*>")
_XML_PAIR = re.compile(
    r"<(?P<nt>Key|Name|key|name)>(?P<name>[^<]{1,200})</(?P=nt)>(?:\s|\\[nrt])*"
    r"<(?P<vt>Value|value)>(?P<value>[^<]{1,4096})</(?P=vt)>"
)
# Values that point at a vault or are resolved at run time: storing them is the good practice.
_REFERENCE = re.compile(
    r"^(?:\$\{?[A-Za-z_]|\$\(|`|\{\{resolve:|arn:aws[a-z-]*:(?:secretsmanager|ssm|kms):|alias/|"
    r"https://[a-z0-9-]+\.vault\.azure\.net/|projects/[^/]+/secrets/|projects/[^/]+/locations/[^/]+/keyRings/|"
    r"@Microsoft\.KeyVault|\[REDACTED:|\*+$|<[^>]*>$|true$|false$|none$|null$)",
    re.IGNORECASE,
)
# Values that are plainly not secrets whatever their name: dates and times, and file paths
# (`GOOGLE_APPLICATION_CREDENTIALS=/etc/ml/sa.json`; lower case only, so no base64 key is mistaken for one).
_TRIVIAL = re.compile(
    r"^(?:\d{4}-\d{2}-\d{2}(?:[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?|(?:~|\.{1,2})?/(?:[a-z0-9_.-]+/)*[a-z0-9_.-]+)$"
)
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_HEX_KEY = re.compile(r"^[0-9a-fA-F]{32,}$")
_ALNUM_KEY = re.compile(r"^[A-Za-z0-9]{20,}$")
_BASE64_KEY = re.compile(r"^[A-Za-z0-9+/_-]{20,}={0,2}$")


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
    if len(value) < 6 or _REFERENCE.match(value) or _TRIVIAL.match(value):
        return False
    return _entropy(value) >= 2.0


def _looks_like_random_key(value: str) -> bool:
    """A value under a name ending in a plain "key" is a secret when it looks generated: 32+ hex digits,
    or 20+ letters and digits (base64 alphabet) mixed and varied; never a UUID, path or reference."""
    value = value.strip()
    if _REFERENCE.match(value) or _UUID.match(value):
        return False
    if _HEX_KEY.match(value):
        return len(set(value.lower())) >= 8
    if _ALNUM_KEY.match(value) or (_BASE64_KEY.match(value) and value.count("/") < 2):
        letters, digits = sum(c.isalpha() for c in value), sum(c.isdigit() for c in value)
        return letters >= 4 and digits >= 2 and _entropy(value) >= 3.5
    return False


def _words(name: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(name)]


# Whether a name names a secret depends on the name alone, and a scan's documents repeat the same few hundred
# field names tens of thousands of times: the answers are remembered (within a bound: names come from the cloud).
@functools.lru_cache(maxsize=4096)
def _secret_name(name: str) -> bool:
    words = _words(name)
    if words and words[-1] in _NOT_SECRET_LAST_WORDS:
        return False
    secret = any(w in _SECRET_WORDS or w.endswith(_SECRET_SUFFIXES) for w in words) or any(
        p in _SECRET_PAIRS for p in pairwise(words)
    )
    return secret and not _NOT_SECRET_NAME.search(name)


@functools.lru_cache(maxsize=4096)
def _key_name(name: str) -> bool:
    """`AZURE_OPENAI_KEY`, `signingKey`: a name of two or more words whose last is a plain "key"."""
    words = _words(name)
    return (
        len(words) >= 2
        and words[-1] == "key"
        and words[-2] not in _PLAIN_KEY_QUALIFIERS
        and not _NOT_SECRET_NAME.search(name)
    )


# What every name `is_secret` can say yes to holds, lower-cased: a secret word or suffix, the last word of a
# secret pair, or "key". Names are parts of the text, so text holding none of these names no secret.
_NAME_PARTS = _SECRET_WORDS | set(_SECRET_SUFFIXES) | {second for _first, second in _SECRET_PAIRS} | {"key"}
# Without the parts that hold a shorter one ("password" holds "pass"): the same answer, fewer searches.
_SECRET_NAME_PARTS = tuple(sorted(p for p in _NAME_PARTS if not any(q != p and q in p for q in _NAME_PARTS)))


def _may_name_secret(text: str) -> bool:
    lowered = text.lower()
    return any(part in lowered for part in _SECRET_NAME_PARTS)


def is_secret(name: str, value: str) -> bool:
    """Whether `value`, stored or written under `name`, is a secret judged by its name."""
    if _secret_name(name):
        return _looks_like_secret_value(value)
    return _key_name(name) and _looks_like_random_key(value)


Hit = Callable[[str], str]


# Short texts recur across a scan's documents (field names, states, instance types, a shared role's ARN):
# their answers are remembered, within a bound on how many and how long.
_CACHED_TEXT = 512


def redact_text(text: str, on_hit: Callable[[str], None] | None = None) -> str:
    """Text with every credential removed; `on_hit(kind)` is told of each kind found."""
    if len(text) > _CACHED_TEXT:
        return _redact_text(text, on_hit)
    cleaned, kinds = _redacted_short(text)
    if on_hit is not None:
        for kind in kinds:
            on_hit(kind)
    return cleaned


@functools.lru_cache(maxsize=16384)
def _redacted_short(text: str) -> tuple[str, tuple[str, ...]]:
    kinds: list[str] = []
    return _redact_text(text, kinds.append), tuple(kinds)


def _redact_text(text: str, on_hit: Callable[[str], None] | None) -> str:
    def hit(kind: str) -> str:
        if on_hit is not None:
            on_hit(kind)
        return MARK.format(kind=kind)

    text = _BASE64_BLOCK.sub(lambda m: _encoded_block(m, hit), text)
    text = _BASE64_RUN.sub(lambda m: _encoded(m.group(0), hit) or m.group(0), text)
    for kind, pattern in _SHAPES:
        text = pattern.sub(_marking(hit, kind), text)
    text = _URL_PASSWORD.sub(lambda m: m.group("head") + hit("url_password"), text)
    text = _AUTHORIZATION.sub(lambda m: _authorization(m, hit), text)
    text = _BEARER.sub(lambda m: _credential(m, hit, "bearer_token"), text)
    if not _may_name_secret(text):
        return text  # no name in it can be secret-like, so no name/value form below can redact anything
    text = _resuming(_JSON_PAIR, text, lambda m: _named_value(m, hit))
    text = _resuming(_XML_PAIR, text, lambda m: _named_value(m, hit))
    text = _resuming(_JSON_MEMBER, text, lambda m: _named_value(m, hit))
    text = _resuming(_XML_ELEMENT, text, lambda m: _named_value(m, hit))
    return _resuming(_ASSIGNMENT, text, lambda m: _assignment(m, hit))


def _marking(hit: Hit, kind: str) -> Callable[[re.Match[str]], str]:
    """A re.sub replacement that marks every match as a credential of `kind`."""
    return lambda _m: hit(kind)


def _encoded(run: str, hit: Hit) -> str | None:
    """The mark replacing base64 `run` when it decodes to text holding a credential, else None."""
    decoded = _decode_script(run)
    if decoded is None:
        return None
    inner: list[str] = []
    redact_text(decoded, inner.append)
    if not inner:
        return None
    for kind in inner[1:]:
        hit(kind)
    return hit(inner[0])


def _encoded_block(m: re.Match[str], hit: Hit) -> str:
    """A base64 block wrapped over lines: replaced whole when its lines, joined, hide a credential.
    The block's last line may be the next line of the script (`EOF`), so it is tried without it too."""
    block = m.group(0)
    ends = [b.start() for b in _BREAK.finditer(block)] + [len(block)]
    starts = [0] + [b.end() for b in _BREAK.finditer(block)]
    lines = [block[a:b] for a, b in zip(starts, ends, strict=True)]
    for count in (len(lines), len(lines) - 1):
        if count < 2:
            break
        mark = _encoded("".join(lines[:count]), hit)
        if mark is not None:
            return mark + block[ends[count - 1] :]
    return block


def _credential(m: re.Match[str], hit: Hit, kind: str) -> str:
    if not _looks_like_secret_value(m.group("value")):
        return m.group(0)
    return m.group("head") + hit(kind)


def _authorization(m: re.Match[str], hit: Hit) -> str:
    scheme = (m.group("scheme") or "").lower()
    return _credential(m, hit, "bearer_token" if scheme == "bearer" else "authorization_header")


def _named_value(m: re.Match[str], hit: Hit) -> str | None:
    """A JSON member, name/value pair or XML element with its value redacted, or None when it holds no
    secret. An XML element is judged by its local name (`<ns:Password>` by "Password")."""
    name = m.group("name").rsplit(":", 1)[-1]
    if not is_secret(name, m.group("value")):
        return None
    text = m.string
    return text[m.start() : m.start("value")] + hit("secret_assignment") + text[m.end("value") : m.end()]


def _assignment(m: re.Match[str], hit: Hit) -> str | None:
    """The redacted assignment `m` matched, or None when it is not a secret assignment."""
    if not is_secret(m.group("name"), m.group("value")):
        return None
    is_flag = m.string[max(0, m.start("name") - 2) : m.start("name")].endswith("-")
    if is_flag and m.group("name").lower() in _NAMING_FLAGS:
        return None  # `gcloud secrets versions access latest --secret=hf-token` names the secret
    if m.group("sep").strip() == "" and not (m.group("name").isupper() or is_flag):
        # "password reset" in prose is not an assignment; `--db_password x` on a
        # command line (script mode hyperparameters, echoed in FailureReason) is.
        return None
    return f"{m.group('name')}{m.group('sep')}{m.group('q')}{hit('secret_assignment')}{m.group('q')}"


def _resuming(pattern: re.Pattern[str], text: str, replace: Callable[[re.Match[str]], str | None]) -> str:
    """`pattern.sub(replace, text)`, except that a match `replace` lets through (None) is searched again
    from where its name ends: a word that is not an assignment must not swallow the next one as its value
    ("boom with token=...", "python3 -u train.py --db_password ..."), and a JSON member that is not
    secret may hold JSON that is (`"db_config": "{\\"password\\": ...}"`)."""
    parts: list[str] = []
    pos = 0
    # A reference to a vault, wherever it stands, holds no assignment (`...:secret:<name>` is its name).
    references = [ref.span() for ref in _VAULT_ARN_IN_TEXT.finditer(text)]
    while (m := pattern.search(text, pos)) is not None:
        inside = next((end for start, end in references if start <= m.start("name") < end), None)
        if inside is not None:
            parts.append(text[pos:inside])
            pos = inside
            continue
        if "value" in pattern.groupindex and _VAULT_ARN.match(m.group("value") or ""):
            parts.append(text[pos : m.end()])  # a reference to a vault, whatever it is assigned to
            pos = m.end()
            continue
        replacement = replace(m)
        if replacement is None:
            resume = max(m.end("name"), m.start() + 1)
            parts.append(text[pos:resume])
            pos = resume
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


# Keys whose value is a whole script, base64-encoded: SageMaker notebook lifecycle configurations
# (`OnCreate`/`OnStart` `Content`) and Azure ML compute instance setup scripts (`scriptData`).
_SCRIPT_KEYS = frozenset({"Content", "scriptData"})


def _redact_string(value: str, path: str, key: str | None, walk: _Walk) -> str:
    kinds: list[str] = []
    if key in _SCRIPT_KEYS and (script := _decode_script(value)) is not None:
        cleaned = redact_text(script, kinds.append)
        for kind in kinds:
            walk.note(path, kind)
        return base64.b64encode(cleaned.encode()).decode() if kinds else value
    if key is not None and is_secret(key, value):
        walk.note(path, "secret_by_name")
        return MARK.format(kind="secret_by_name")
    if _VAULT_ARN.match(value):
        # A vault reference: no assignment inside it, but a credential shape is still a credential.
        def noted(kind: str) -> str:
            walk.note(path, kind)
            return MARK.format(kind=kind)

        for kind, pattern in _SHAPES:
            value = pattern.sub(_marking(noted, kind), value)
        return value
    cleaned = redact_text(value, kinds.append)
    for kind in kinds:
        walk.note(path, kind)
    return cleaned


# Lists of {name, value} entries name the secret in the sibling key: AWS tags ({"Key": k, "Value": v}),
# container env lists as Vertex AI and Kubernetes write them ({"name": k, "value": v}), Compute Engine
# metadata items ({"key": k, "value": v}).
_NAME_VALUE_PAIRS = (("Key", "Value"), ("name", "value"), ("key", "value"))


def _redact_key(key: Any, path: str, walk: _Walk) -> Any:
    """A mapping key, judged by its shape: Azure tags and Google labels are stored inside the configuration too,
    and a token pasted in as a tag key must not survive there. The path names the key as stored.

    Only keys below the top level are judged: a document's own keys are the API's field names, or (for a
    tag the collector kernel redacts as `{key: value}`) a key its caller has already judged and looks up."""
    if not isinstance(key, str):
        return key
    kinds: list[str] = []
    cleaned = redact_text(key, kinds.append)
    for kind in kinds:
        walk.note(f"{path}.{cleaned}" if path else cleaned, kind)
    return cleaned


def _redact(node: Any, path: str, key: str | None, walk: _Walk, depth: int = 0) -> Any:
    if isinstance(node, str):
        return _redact_string(node, path, key, walk)
    if isinstance(node, dict):
        value_key, pair_name = next(
            ((v, node[n]) for n, v in _NAME_VALUE_PAIRS if isinstance(node.get(n), str) and v in node), (None, None)
        )
        out: dict[Any, Any] = {}
        for k, v in node.items():
            name = pair_name if (k == value_key and pair_name) else str(k)
            if key in _REFERENCE_PARENTS:
                name = ""  # a vault reference's fields name the secret, not hold it: judged by shape only
            elif key and str(k).lower() in _GENERIC_FIELDS and _secret_name(key):
                name = f"{key}_{k}"  # `"credentials": {"key": ...}`: the field is as secret as its parent
            key = _redact_key(k, path, walk) if depth else k
            out[key] = _redact(v, f"{path}.{key}" if path else str(key), name, walk, depth + 1)
        return out
    if isinstance(node, list):
        return [_redact(v, f"{path}.{i}" if path else str(i), key, walk, depth + 1) for i, v in enumerate(node)]
    return node


def redact(document: Any, *, prefix: str = "") -> tuple[Any, list[Redaction]]:
    """A copy of `document` with secrets replaced, and where each one was."""
    walk = _Walk()
    cleaned = _redact(document, prefix, None, walk)
    return cleaned, walk.found
