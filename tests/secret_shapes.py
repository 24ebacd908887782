"""Secrets in the shapes the redactor used to miss, and look-alikes it must keep.

Shared by the redaction table (tests/test_redact.py), the property tests (tests/test_properties.py) and the
no-secrets check cases of every cloud, so each shape is proved once per place it can be stored.
None of these values is, or ever was, a working credential.
"""

from __future__ import annotations

import base64
import json
from typing import NamedTuple

# A service-account key file, as `gcloud iam service-accounts keys create` writes it.
PEM_BODY = (
    "MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDQk3vYzX8pRt2LmN9sKq7wBfG4hJ1cT6yE0uW5oA3iZ8d"
    "Vb2xRn4mP7kL9qS1tU6eH3fJ0gC5yD8aW2zQ4vN7rT1oM6pB9sK3lX0jY5cE2uF8hG1iA4dR7wS0nV3bZ6qL9mT2kP5x"
)
SERVICE_ACCOUNT_JSON = json.dumps(
    {
        "type": "service_account",
        "project_id": "ml-prod-4521",
        "private_key_id": "5d2a7c9e1f3b4a6c8e0d2f4a6b8c0e1f3a5b7c9d",
        "private_key": f"-----BEGIN PRIVATE KEY-----\n{PEM_BODY}\n-----END PRIVATE KEY-----\n",
        "client_email": "batch-scorer@ml-prod-4521.iam.gserviceaccount.com",
        "client_id": "117284930561728394056",
        "token_uri": "https://oauth2.googleapis.com/token",
    },
    indent=2,
)
# `base64 sa.json` without -w0: wrapped at 76 columns, as a heredoc carries it into a startup script.
WRAPPED_KEY_FILE = base64.encodebytes(SERVICE_ACCOUNT_JSON.encode()).decode()
HEREDOC_SCRIPT = (
    "#!/bin/bash\nset -euo pipefail\n"
    "cat > /etc/ml/sa.json.b64 <<'EOF'\n"
    f"{WRAPPED_KEY_FILE}"
    "EOF\n"
    "base64 -d /etc/ml/sa.json.b64 > /etc/ml/sa.json\n"
    "export GOOGLE_APPLICATION_CREDENTIALS=/etc/ml/sa.json\n"
)
BEARER = "9f8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7c6"
CURL_SCRIPT = (
    "#!/bin/bash\n"
    f'curl -sf -H "Authorization: Bearer {BEARER}" https://llm-gateway.internal.example.com/v1/models '
    "-o /tmp/models.json\n"
)
DB_PASSWORD_IN_JSON = "Zq8!vL2#pR7x-db"
DB_CONFIG = json.dumps({"host": "db.internal", "user": "trainer", "password": DB_PASSWORD_IN_JSON})
AZURE_OPENAI_KEY = "c4f1a9e27b3d8e6f0a5c2b9d4e7f1a3c"


class Shape(NamedTuple):
    """A planted secret: the name it is stored under, the whole value, the part that must vanish, and the
    kind recorded when it sits under its name (env, settings, tags) and inside a script."""

    id: str
    name: str
    value: str
    secret: str
    kind_by_name: str
    kind_in_script: str


PLANTED: tuple[Shape, ...] = (
    Shape(
        "PGPASSWORD, one word", "PGPASSWORD", "Tr0ub4dor-3pg", "Tr0ub4dor-3pg", "secret_by_name", "secret_assignment"
    ),
    Shape(
        "DBPASSWORD, one word",
        "DBPASSWORD",
        "c0rrect-h0rse-B4ttery",
        "c0rrect-h0rse-B4ttery",
        "secret_by_name",
        "secret_assignment",
    ),
    Shape(
        "32 hex under a name ending in KEY",
        "AZURE_OPENAI_KEY",
        AZURE_OPENAI_KEY,
        AZURE_OPENAI_KEY,
        "secret_by_name",
        "secret_assignment",
    ),
    Shape(
        "a name containing kms",
        "KMS_PROXY_TOKEN",
        "kq8Zr2LmX0pWv7Ks3YtB",
        "kq8Zr2LmX0pWv7Ks3YtB",
        "secret_by_name",
        "secret_assignment",
    ),
    Shape(
        "JSON inside a string",
        "DB_CONFIG",
        DB_CONFIG,
        DB_PASSWORD_IN_JSON,
        "secret_assignment",
        "secret_assignment",
    ),
    Shape("curl with a bearer token", "WARMUP", CURL_SCRIPT, BEARER, "bearer_token", "bearer_token"),
    Shape(
        "wrapped base64 key file in a heredoc",
        "BOOTSTRAP",
        HEREDOC_SCRIPT,
        PEM_BODY[:60],
        "private_key",
        "private_key",
    ),
)


class LookAlike(NamedTuple):
    id: str
    name: str
    value: str


LOOK_ALIKES: tuple[LookAlike, ...] = (
    LookAlike(
        "kms key id",
        "KMS_KEY_ID",
        "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    ),
    LookAlike(
        "kms key name",
        "KMS_KEY_NAME",
        "projects/ml-prod-4521/locations/us-central1/keyRings/vertex-kr/cryptoKeys/vertex-cmek",
    ),
    LookAlike("max tokens", "MAX_TOKENS", "4096"),
    LookAlike("password policy", "PASSWORD_MIN_LENGTH", "12"),
    LookAlike("32 hex request id", "REQUEST_ID", "c4f1a9e27b3d8e6f0a5c2b9d4e7f1a3c"),
    LookAlike("sha256 digest", "SHA256", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"),
    LookAlike("partition key", "PARTITION_KEY", "customer_id"),
    LookAlike("object key", "S3_KEY", "models/fraud/v3/model.tar.gz"),
    LookAlike("idempotency key", "IDEMPOTENCY_KEY", "3f2b8c4e-9a1d-4e7b-8c2f-5d6a7b8c9d0e"),
    LookAlike("secret id", "DB_SECRET_ID", "prod/feature-store/db"),
    # Bedrock: the public alias of an API key, a knowledge base's reference to its credentials, a request token.
    LookAlike("api key alias", "ServiceCredentialAlias", "bedrock-key-ci"),
    LookAlike(
        "secret arn",
        "credentialsSecretArn",
        "arn:aws:secretsmanager:us-east-1:111122223333:secret:kb-creds-AbCdEf",
    ),
    LookAlike("idempotency token", "clientToken", "a1b2c3d4-e5f6-7890-abcd-ef1234567890"),
    LookAlike(
        "password read from secret manager",
        "STARTUP",
        "export PGPASSWORD=$(gcloud secrets versions access latest --secret=pg-password)",
    ),
    LookAlike(
        "bearer token from a variable",
        "WARMUP",
        'curl -sf -H "Authorization: Bearer ${HF_TOKEN}" https://huggingface.co/api/whoami-v2',
    ),
    LookAlike(
        "JSON settings without a secret",
        "DB_CONFIG",
        json.dumps({"host": "db.internal", "user": "trainer", "password_file": "/run/secrets/db"}),
    ),
    LookAlike(
        "wrapped base64 without a secret",
        "BOOTSTRAP",
        "cat > /tmp/req.b64 <<'EOF'\n"
        + base64.encodebytes(b"torch==2.4.0\ntransformers==4.44.2\naccelerate==0.33.0\ndatasets==2.21.0\n").decode()
        + "EOF\n",
    ),
)


def traces(shape: Shape) -> list[str]:
    """Every string whose presence after redaction means `shape` leaked: its secret, JSON-escaped too, and for
    the wrapped key file each full line of the wrapping (a line alone decodes to a harmless-looking fragment)."""
    found = [shape.secret, json.dumps(shape.secret)[1:-1]]
    if WRAPPED_KEY_FILE in shape.value:
        found += WRAPPED_KEY_FILE.splitlines()[:-1]
    return found
