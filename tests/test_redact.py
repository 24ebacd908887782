"""Secrets are removed by shape and by name, references and ordinary text are kept."""

from __future__ import annotations

import base64
import hashlib
import json
import re

import pytest

from cspm_ai.redact import Redaction, redact, redact_text
from tests import secret_shapes

FAKE_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("AKIAIOSFODNN7EXAMPLE", "aws_access_key_id"),
        ("ASIAZZZZZZZZZZZZZZZZ", "aws_access_key_id"),
        ("ghp_" + "a1B2" * 9, "github_token"),
        ("sk-proj-" + "x" * 40, "openai_api_key"),
        ("hf_" + "Ab1" * 12, "huggingface_token"),
        ("AIza" + "B" * 35, "google_api_key"),
        ("xoxb-1234567890-abcdefghij", "slack_token"),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----", "private_key"),
        ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlc2ln", "jwt"),
    ],
)
def test_credential_shapes_are_redacted_anywhere(value: str, kind: str) -> None:
    doc, found = redact({"Args": [f"--flag {value} --other"]})
    assert value not in repr(doc)
    assert f"[REDACTED:{kind}]" in doc["Args"][0]
    assert [(r.path, r.kind) for r in found] == [("Args.0", kind)]


def test_password_in_url_keeps_the_rest_of_the_url() -> None:
    doc, found = redact({"DB": "postgresql://svc:hunter2pass@db.internal:5432/features"})
    assert doc["DB"] == "postgresql://svc:[REDACTED:url_password]@db.internal:5432/features"
    assert found[0].kind == "url_password"


@pytest.mark.parametrize(
    ("name", "value", "redacted"),
    [
        ("DB_PASSWORD", "Sup3rS3cret!", True),
        ("OPENAI_API_KEY", "not-a-known-shape-but-secret", True),
        ("client_secret", "f00ba4-c0ffee-b33f", True),
        ("DB_PASSWORD_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:1:secret:db", False),
        ("API_TOKEN", "${API_TOKEN}", False),
        ("PASSWORD", "{{resolve:secretsmanager:db}}", False),
        ("KmsKeyId", "arn:aws:kms:us-east-1:111122223333:key/abc", False),
        ("TOKEN_ENABLED", "true", False),
        ("MODEL_NAME", "bert-base-uncased", False),
        # One compound word, a plain KEY holding a random key, and "kms" no longer hiding a secret name.
        ("PGPASSWORD", "Tr0ub4dor-3pg", True),
        ("DBPASSWORD", "c0rrect-h0rse", True),
        ("pgPassword", "Tr0ub4dor-3pg", True),
        ("AZURE_OPENAI_KEY", "c4f1a9e27b3d8e6f0a5c2b9d4e7f1a3c", True),
        ("signingKey", "Xb7LpQ2mZ9vR4tK8wN1cY6hD3fG0jS5a", True),
        ("KMS_PROXY_TOKEN", "kq8Zr2LmX0pWv7Ks3YtB", True),
        ("kms_admin_password", "Sup3rS3cret!", True),
        # Their near misses.
        ("KMS_KEY_ID", "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", False),
        ("KMS_KEY", "alias/ml-artifacts", False),
        ("MAX_TOKENS", "4096", False),
        ("MAX_NEW_TOKENS", "128000", False),
        ("PASSWORD_MIN_LENGTH", "12", False),
        ("REQUEST_ID", "c4f1a9e27b3d8e6f0a5c2b9d4e7f1a3c", False),
        ("SHA256", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", False),
        ("AZURE_OPENAI_KEY", "${AZURE_OPENAI_KEY}", False),
        ("PUBLIC_KEY", "c4f1a9e27b3d8e6f0a5c2b9d4e7f1a3c", False),
        ("PARTITION_KEY", "customer_id", False),
        ("CACHE_KEY", "features:v3:customer", False),
        ("IDEMPOTENCY_KEY", "3f2b8c4e-9a1d-4e7b-8c2f-5d6a7b8c9d0e", False),
        ("DB_SECRET_ID", "prod/feature-store/db", False),
        ("PasswordLastUsed", "2026-03-02T09:15:27Z", False),
        ("GOOGLE_APPLICATION_CREDENTIALS", "/etc/ml/sa.json", False),
    ],
)
def test_secret_like_names_redact_values_but_not_references(name: str, value: str, redacted: bool) -> None:
    doc, found = redact({"Environment": {name: value}})
    assert (doc["Environment"][name] != value) is redacted
    assert bool(found) is redacted


def test_aws_tag_value_is_judged_by_its_key() -> None:
    doc, found = redact({"Tags": [{"Key": "api_key", "Value": "abcd1234efgh"}, {"Key": "team", "Value": "ml"}]})
    assert doc["Tags"][0]["Value"] == "[REDACTED:secret_by_name]"
    assert doc["Tags"][1]["Value"] == "ml"
    assert [r.path for r in found] == ["Tags.0.Value"]


def test_container_env_value_is_judged_by_its_name() -> None:
    # Vertex AI (and Kubernetes) env lists: the secret's name sits in the sibling "name".
    env = [{"name": "DB_PASSWORD", "value": "Zq8!vL2#pR7x"}, {"name": "LOG_LEVEL", "value": "debug"}]
    doc, found = redact({"containerSpec": {"env": env}})
    assert doc["containerSpec"]["env"] == [
        {"name": "DB_PASSWORD", "value": "[REDACTED:secret_by_name]"},
        {"name": "LOG_LEVEL", "value": "debug"},
    ]
    assert [(r.path, r.kind) for r in found] == [("containerSpec.env.0.value", "secret_by_name")]


def test_base64_lifecycle_script_is_redacted_and_stays_base64() -> None:
    script = (
        "#!/bin/bash\nset -e\n"
        f"export AWS_SECRET_ACCESS_KEY={FAKE_SECRET}\n"
        "echo 'password reset complete'\n"
        "pip install -r requirements.txt\n"
    )
    doc, found = redact({"OnStart": [{"Content": base64.b64encode(script.encode()).decode()}]})
    cleaned = base64.b64decode(doc["OnStart"][0]["Content"]).decode()
    assert FAKE_SECRET not in cleaned
    assert "AWS_SECRET_ACCESS_KEY=[REDACTED:secret_assignment]" in cleaned
    assert "password reset complete" in cleaned and "pip install" in cleaned
    assert {(r.path, r.kind) for r in found} == {("OnStart.0.Content", "secret_assignment")}


def test_plain_configuration_is_untouched() -> None:
    config = {
        "NotebookInstanceName": "research",
        "RoleArn": "arn:aws:iam::111122223333:role/sm",
        "DirectInternetAccess": "Disabled",
        "InstanceType": "ml.t3.medium",
        "VolumeSizeInGB": 5,
        "Tags": [{"Key": "owner", "Value": "ml-platform"}],
        "Description": "token bucket rate limiter",
    }
    doc, found = redact(config)
    assert doc == config
    assert found == []


def test_prose_mentioning_passwords_is_not_redacted() -> None:
    assert redact_text("Rotate the password regularly") == "Rotate the password regularly"


def test_command_line_flags_with_secret_names_are_redacted() -> None:
    # Script-mode hyperparameters reach the command line that FailureReason echoes.
    line = 'Command "python train.py --db_password Tr41ningPassw0rd --epochs 3 --max-tokens 512"'
    cleaned = redact_text(line)
    assert "Tr41ningPassw0rd" not in cleaned
    assert "--db_password [REDACTED:secret_assignment] --epochs 3 --max-tokens 512" in cleaned


@pytest.mark.parametrize(
    "name",
    [
        "bypass",
        "networkRuleBypassOptions",
        "MAX_TOTAL_TOKENS",
        "tokenizer_name",
        "bypassProxy",
        "SecretsManagerArn",
        "compass_heading",
    ],
)
def test_words_that_merely_contain_a_secret_word_are_not_secret_names(name: str) -> None:
    doc, found = redact({name: "AzureServices,Logging"})
    assert doc[name] == "AzureServices,Logging" and found == []


@pytest.mark.parametrize(
    "name",
    [
        "dbPassword",
        "AWS_SECRET_ACCESS_KEY",
        "hfToken",
        "OPENAI_API_KEY",
        "apikey",
        "clientSecret",
        "storageConnectionString",
        "sasToken",
        "x-api-key",
    ],
)
def test_secret_names_in_any_casing_are_recognised(name: str) -> None:
    doc, found = redact({name: "q8Zr2LmX0pWv7Ks"})
    assert doc[name] == "[REDACTED:secret_by_name]" and len(found) == 1


# ----------------------------------------------------------------------------- names inside text: JSON, XML, headers


@pytest.mark.parametrize(
    "text",
    [
        pytest.param('{"DB_PASSWORD": "Pw-Y6rfNcAKEIOUttYpA!"}', id="json"),
        pytest.param("{'DB_PASSWORD': 'Pw-Y6rfNcAKEIOUttYpA!'}", id="python dict repr"),
        pytest.param('{"db_config": "{\\"password\\": \\"Pw-Y6rfNcAKEIOUttYpA!\\"}"}', id="json in a json string"),
        pytest.param(
            'b\'{"HyperParameters": {"db_config": "{\\\\"password\\\\": \\\\"Pw-Y6rfNcAKEIOUttYpA!\\\\"}"}}\'',
            id="json in a json string, logged as bytes",
        ),
        pytest.param('"Environment": {"PGPASSWORD": "Pw-Y6rfNcAKEIOUttYpA!", "LOG_LEVEL": "info"}', id="compound"),
        pytest.param(
            '[{"name": "LOG_LEVEL", "value": "info"}, {"name": "DB_PASSWORD", "value": "Pw-Y6rfNcAKEIOUttYpA!"}]',
            id="env list",
        ),
        pytest.param('"Tags": [{"Key": "db_password", "Value": "Pw-Y6rfNcAKEIOUttYpA!"}]', id="aws tag list"),
        pytest.param("<Password>Pw-Y6rfNcAKEIOUttYpA!</Password>", id="xml"),
        pytest.param("<ns1:MasterUserPassword>Pw-Y6rfNcAKEIOUttYpA!</ns1:MasterUserPassword>", id="xml namespace"),
        pytest.param("<Tag>\\n  <Key>db_password</Key>\\n  <Value>Pw-Y6rfNcAKEIOUttYpA!</Value></Tag>", id="xml tag"),
    ],
)
def test_names_inside_json_and_xml_text_are_judged_like_keys(text: str) -> None:
    kinds: list[str] = []
    cleaned = redact_text(text, kinds.append)
    assert "Pw-Y6rfNcAKEIOUttYpA!" not in cleaned and "[REDACTED:secret_assignment]" in cleaned
    assert kinds == ["secret_assignment"]
    assert "info" in cleaned or "info" not in text


def test_an_sts_answer_keeps_only_what_is_not_secret() -> None:
    # The XML AssumeRole answers with; the access key id goes by shape, the rest by element name.
    body = (
        "<AssumeRoleResponse><AssumeRoleResult><Credentials>"
        "<AccessKeyId>ASIAQEXAMPLE7FAKEKEY</AccessKeyId>"
        "<SecretAccessKey>x8oov8Lnnc4oIrM2eONPNL+BP2NfPgHFGC9l3Mrc</SecretAccessKey>"
        "<SessionToken>FQoGZXIvYXdzEBYaDHqa0AP1/Pm3b+xxLxYYHBLkpqp0hd6FJz9uXLRcz/Jsz0j0GQ==</SessionToken>"
        "<Expiration>2026-11-22T12:00:00Z</Expiration></Credentials>"
        "<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/auditor/cspm</Arn></AssumedRoleUser>"
        "</AssumeRoleResult></AssumeRoleResponse>"
    )
    cleaned = redact_text(body)
    for secret in ("ASIAQEXAMPLE7FAKEKEY", "x8oov8Lnnc4oIrM2eONPNL", "FQoGZXIvYXdzEBYaDHqa0AP1"):
        assert secret not in cleaned
    assert "<Expiration>2026-11-22T12:00:00Z</Expiration>" in cleaned
    assert "assumed-role/auditor/cspm" in cleaned


@pytest.mark.parametrize(
    "text",
    [
        '{"ModelName": "fraud", "Environment": {"LOG_LEVEL": "info", "MAX_TOKENS": "4096"}}',
        '{"KmsKeyId": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}',
        '{"NotebookInstanceName": "research", "DirectInternetAccess": "Disabled"}',
        '{"db_config": "{\\"host\\": \\"db.internal\\", \\"password_file\\": \\"/run/secrets/db\\"}"}',
        "<Expiration>2026-11-22T12:00:00Z</Expiration><RequestId>c4f1a9e27b3d8e6f0a5c2b9d4e7f1a3c</RequestId>",
        '[{"name": "HF_TOKEN", "value": "projects/ml-prod-4521/secrets/hf-token/versions/latest"}]',
    ],
)
def test_json_and_xml_without_secrets_are_untouched(text: str) -> None:
    assert redact_text(text) == text


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ('curl -H "Authorization: Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0" https://x.example.com', "bearer_token"),
        (
            "curl -H 'authorization: token 9f8e7d6c5b4a39281706f5e4d3c2b1a0' https://x.example.com",
            "authorization_header",
        ),
        (
            "curl --header=Authorization:Basic dHJhaW5lcjpaeTghdkwyI3BSN3g= https://x.example.com",
            "authorization_header",
        ),
        ("wget --header 'Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0' https://x.example.com", "bearer_token"),
    ],
)
def test_http_credentials_in_scripts_are_redacted(line: str, kind: str) -> None:
    kinds: list[str] = []
    cleaned = redact_text(line, kinds.append)
    assert "9f8e7d6c5b4a" not in cleaned and "dHJhaW5lcjpa" not in cleaned
    assert kinds == [kind] and cleaned.endswith("https://x.example.com")


@pytest.mark.parametrize(
    "line",
    [
        'curl -H "Authorization: Bearer ${HF_TOKEN}" https://x.example.com',
        'curl -H "Authorization: Bearer $(gcloud auth print-access-token)" https://x.example.com',
        "Authorization: Bearer <token>",
        "Set authorization mode to Bearer tokens issued by Entra ID.",
    ],
)
def test_http_credentials_read_at_run_time_are_kept(line: str) -> None:
    assert redact_text(line) == line


def test_json_inside_a_hyperparameter_is_redacted_where_it_is_stored() -> None:
    hyper = {"epochs": "3", "db_config": json.dumps({"host": "db.internal", "password": "Zq8!vL2#pR7x-db"})}
    doc, found = redact({"HyperParameters": hyper})
    assert "Zq8!vL2#pR7x-db" not in json.dumps(doc)
    assert json.loads(doc["HyperParameters"]["db_config"]) == {
        "host": "db.internal",
        "password": "[REDACTED:secret_assignment]",
    }
    assert [(r.path, r.kind) for r in found] == [("HyperParameters.db_config", "secret_assignment")]


def test_a_wrapped_base64_key_file_is_redacted_whole_and_the_script_kept() -> None:
    kinds: list[str] = []
    cleaned = redact_text(secret_shapes.HEREDOC_SCRIPT, kinds.append)
    assert kinds == ["private_key"]
    assert not [line for line in secret_shapes.WRAPPED_KEY_FILE.splitlines() if line in cleaned]
    assert "<<'EOF'\n[REDACTED:private_key]\nEOF\nbase64 -d /etc/ml/sa.json.b64" in cleaned
    # One line of the block alone decodes to a harmless fragment: the block is judged whole, however escaped.
    for escaped in (json.dumps(secret_shapes.HEREDOC_SCRIPT), repr(json.dumps(secret_shapes.HEREDOC_SCRIPT).encode())):
        assert secret_shapes.WRAPPED_KEY_FILE.splitlines()[2] not in redact_text(escaped)


def test_a_word_before_an_assignment_does_not_hide_it() -> None:
    # An exception message echoed by the CLI, and a command line with a flag before the script.
    assert "a8F3kP0zQ9xW2mN7vB4cT6yH1jL5sD0eR7uV" not in redact_text(
        "RuntimeError: boom with token=a8F3kP0zQ9xW2mN7vB4cT6yH1jL5sD0eR7uV"
    )
    assert redact_text("python3 -u train.py --db_password Tr41ningPassw0rd --epochs 3") == (
        "python3 -u train.py --db_password [REDACTED:secret_assignment] --epochs 3"
    )


# ----------------------------------------------------------------------------- every kind, every location
#
# Each sample is stored under a name in every place collectors keep configuration; the kind recorded
# depends on the place: under its name (env, settings, tags) a secret-like name decides first, in a
# script an assignment does.

_STORAGE_KEY = base64.b64encode(hashlib.sha512(b"mlartifacts storage key1").digest()).decode()
_PEM_BODY = (
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKjMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3S"
    "C6dVMvDuictGeurT8jNbvJZHtCSuYEvuNMoSfm76oqFvAp8Gy0iz5sxjZmSnXyCdPEovGhLa0VzMaQ8s+CLOyS56YyCFGeJZ"
)
_SERVICE_ACCOUNT_JSON = json.dumps(
    {
        "type": "service_account",
        "project_id": "ml-prod-4521",
        "private_key_id": "8a1c2e4f6b8d0a2c4e6f8b0d2a4c6e8f0b2d4a6c",
        "private_key": f"-----BEGIN PRIVATE KEY-----\n{_PEM_BODY}\n-----END PRIVATE KEY-----\n",
        "client_email": "trainer@ml-prod-4521.iam.gserviceaccount.com",
        "client_id": "104917558620119038547",
        "token_uri": "https://oauth2.googleapis.com/token",
    }
)
_SAS_SIG = "kX9v%2BQ2m7aLr0Zp1nT4cWq8yE5uJ3hG6fD2sB1vN0oI%3D"
_SB_KEY = "Zm9vYmFyYmF6cXV4cXV1eDEyMzQ1Njc4OTAxMjM0NTY="
_STORAGE_CONNECTION_STRING = (
    f"DefaultEndpointsProtocol=https;AccountName=mlartifacts;AccountKey={_STORAGE_KEY};EndpointSuffix=core.windows.net"
)
_SAS_TOKEN = f"sv=2022-11-02&ss=b&srt=o&sp=r&se=2026-12-31T00:00:00Z&spr=https&sig={_SAS_SIG}"
_SAS_URL = f"https://mlartifacts.blob.core.windows.net/models/llm.bin?{_SAS_TOKEN}"
_SERVICE_BUS_CONNECTION_STRING = (
    "Endpoint=sb://ml-events.servicebus.windows.net/;"
    f"SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey={_SB_KEY}"
)
_OPENSSH_BODY = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
_OPENSSH_KEY = f"-----BEGIN OPENSSH PRIVATE KEY-----\n{_OPENSSH_BODY}\n-----END OPENSSH PRIVATE KEY-----"
_EC_BODY = "MHcCAQEEIIrYSSNQFaA2Hwf1duRSxKtLYX5CB04fSeQ6tF1aY/PuoAoGCCqGSM49"
_EC_KEY = f"-----BEGIN EC PRIVATE KEY-----\n{_EC_BODY}\n-----END EC PRIVATE KEY-----"

SAMPLES = [
    # (sample id, name, value, the part that must vanish (None: all of it), kind under the name, kind in a script)
    ("aws access key id", "UPLOADER", "AKIAQ3EGRN7XKBV2LS4M", None, "aws_access_key_id", "aws_access_key_id"),
    ("aws session key id", "UPLOADER_SESSION", "ASIAY34FZKBOKMUTVV7A", None, "aws_access_key_id", "aws_access_key_id"),
    ("aws secret key", "AWS_SECRET_ACCESS_KEY", FAKE_SECRET, None, "secret_by_name", "secret_assignment"),
    ("azure storage key", "BLOB_BACKUP", _STORAGE_KEY, None, "azure_storage_key", "azure_storage_key"),
    (
        "azure connection string",
        "ARTIFACT_STORE",
        _STORAGE_CONNECTION_STRING,
        _STORAGE_KEY,
        "azure_storage_key",
        "azure_storage_key",
    ),
    ("azure sas url", "MODEL_URL", _SAS_URL, _SAS_SIG, "azure_sas_signature", "azure_sas_signature"),
    ("azure sas token", "MODEL_READ", _SAS_TOKEN, _SAS_SIG, "azure_sas_signature", "azure_sas_signature"),
    (
        "azure service bus",
        "EVENTS",
        _SERVICE_BUS_CONNECTION_STRING,
        _SB_KEY,
        "azure_shared_access_key",
        "azure_shared_access_key",
    ),
    (
        "entra client secret",
        "GRAPH_APP",
        "Zr28Q~Jx7vN2mK9pL4qW1sT6yB3cF8hD0gA5eR.u",
        None,
        "azure_client_secret",
        "azure_client_secret",
    ),
    (
        "entra client secret by name",
        "AZURE_CLIENT_SECRET",
        "Gm7~pQ2.vX9_kL4-rT8sW1nB6yC3dF0hJ5zA",
        None,
        "secret_by_name",
        "secret_assignment",
    ),
    ("google api key", "MAPS", "AIzaSyD4x9Qk2mN7pL1vR8sT3wY6zB0cE5fH2jK", None, "google_api_key", "google_api_key"),
    ("google service account json", "GCP_SA", _SERVICE_ACCOUNT_JSON, _PEM_BODY, "private_key", "private_key"),
    (
        "google service account json, base64",
        "GCP_SA_B64",
        base64.b64encode(_SERVICE_ACCOUNT_JSON.encode()).decode(),
        _PEM_BODY,
        "private_key",
        "private_key",
    ),
    (
        "openai project key",
        "LLM_BACKEND",
        "sk-proj-Rk3vT9qLm2Xw8ZpN4bYc7Hd1Fs6Jg0Ae5Ku_Wt-Qn2Vx8Lr3MpYt6Bz",
        None,
        "openai_api_key",
        "openai_api_key",
    ),
    (
        "openai legacy key",
        "SUMMARISER",
        "sk-9fK2mQ7xL4pR1vT8T3BlbkFJzW6nB3cY0hD5gA2eS7uJ",
        None,
        "openai_api_key",
        "openai_api_key",
    ),
    (
        "anthropic key",
        "JUDGE_MODEL",
        "sk-ant-api03-Xq7vR2mL9pT4wZ8nB1cY6hD3fG0jK5sA",
        None,
        "anthropic_api_key",
        "anthropic_api_key",
    ),
    (
        "hugging face token",
        "HUB_MIRROR",
        "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",
        None,
        "huggingface_token",
        "huggingface_token",
    ),
    (
        "github classic token",
        "CI_BOT",
        "ghp_R7x2Lm9Qv4Tz8Kp1Wn6Yb3Hc5Jd0Fs2Ga7Ek",
        None,
        "github_token",
        "github_token",
    ),
    (
        "github fine-grained token",
        "RELEASES",
        "github_pat_11ABCDEFG0aB3cD5eF7gH9_iJ2kL4mN6oP8qR0sT2uV4wX6yZ8aB0cD2eF4gH6iJ8kL0",
        None,
        "github_token",
        "github_token",
    ),
    ("openssh private key", "DEPLOY", _OPENSSH_KEY, _OPENSSH_BODY, "private_key", "private_key"),
    ("ec private key", "TLS_BUNDLE", _EC_KEY, _EC_BODY, "private_key", "private_key"),
    (
        "password in a database url",
        "FEATURE_DB_DSN",
        "postgresql://feature_svc:Xq7%21mR2vLp9@db.internal:5432/features",
        "Xq7%21mR2vLp9",
        "url_password",
        "url_password",
    ),
    (
        "password in an index url",
        "PIP_INDEX_URL",
        "https://build:Pa55w0rd-r34lly@pypi.internal.example.com/simple",
        "Pa55w0rd-r34lly",
        "url_password",
        "url_password",
    ),
    (
        "high-entropy api key by name",
        "WANDB_API_KEY",
        "3f9a1c7e5b2d8f4a6c0e9b1d7f3a5c8e2b4d6f0a",
        None,
        "secret_by_name",
        "secret_assignment",
    ),
    ("password by name", "DB_PASSWORD", "c0rrect-h0rse-B4ttery!", None, "secret_by_name", "secret_assignment"),
    # The shapes the redactor used to miss (tests/secret_shapes.py).
    *(
        (s.id, s.name, s.value, None if s.secret == s.value else s.secret, s.kind_by_name, s.kind_in_script)
        for s in secret_shapes.PLANTED
    ),
]


def _in_env_dict(name: str, value: str) -> tuple[dict, str]:
    return {"PrimaryContainer": {"Environment": {name: value}}}, f"PrimaryContainer.Environment.{name}"


def _in_env_list(name: str, value: str) -> tuple[dict, str]:
    # Vertex AI and Kubernetes: the name sits beside the value.
    return (
        {"containerSpec": {"env": [{"name": "LOG_LEVEL", "value": "info"}, {"name": name, "value": value}]}},
        "containerSpec.env.1.value",
    )


def _in_job_settings(name: str, value: str) -> tuple[dict, str]:
    # Job definitions nest environments and hyperparameters several levels deep.
    return (
        {"settings": {"tasks": [{"task_key": "train", "new_cluster": {"spark_env_vars": {name: value}}}]}},
        f"settings.tasks.0.new_cluster.spark_env_vars.{name}",
    )


def _in_aws_tags(name: str, value: str) -> tuple[dict, str]:
    return {"Tags": [{"Key": "team", "Value": "ml"}, {"Key": name, "Value": value}]}, "Tags.1.Value"


LOCATIONS = {
    "env dict": _in_env_dict,
    "env list": _in_env_list,
    "job settings": _in_job_settings,
    "aws tag list": _in_aws_tags,
}


def _everything_readable(node: object) -> str:
    """The document as text, with every base64 string also decoded, so a secret hidden by encoding shows."""
    text = json.dumps(node)
    for token in re.findall(r"[A-Za-z0-9+/=]{16,}", text):
        try:
            text += "\n" + base64.b64decode(token, validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            pass
    return text


def _secrets_of(value: str, secret: str | None) -> list[str]:
    # A JSON-escaped copy too: the service account key's PEM sits in JSON inside a string.
    core = secret or value
    return [core, json.dumps(core)[1:-1]]


SAMPLE_FIELDS = ("name", "value", "secret", "kind_by_name", "kind_in_script")
SAMPLE_PARAMS = [pytest.param(*sample[1:], id=sample[0]) for sample in SAMPLES]


@pytest.mark.parametrize("location", LOCATIONS)
@pytest.mark.parametrize(SAMPLE_FIELDS, SAMPLE_PARAMS)
def test_each_kind_is_redacted_where_it_is_stored(
    location: str, name: str, value: str, secret: str | None, kind_by_name: str, kind_in_script: str
) -> None:
    document, path = LOCATIONS[location](name, value)
    cleaned, found = redact(document)
    readable = _everything_readable(cleaned)
    assert not [s for s in _secrets_of(value, secret) if s in readable]
    assert f"[REDACTED:{kind_by_name}]" in readable
    assert [(r.path, r.kind) for r in found] == [(path, kind_by_name)]


@pytest.mark.parametrize(SAMPLE_FIELDS, SAMPLE_PARAMS)
def test_each_kind_is_redacted_in_tags_as_collectors_store_them(
    name: str, value: str, secret: str | None, kind_by_name: str, kind_in_script: str
) -> None:
    # Azure tags and Google labels arrive as a dict and are stored under the "tags" prefix.
    cleaned, found = redact({"project": "llm-chat", name: value}, prefix="tags")
    assert not [s for s in _secrets_of(value, secret) if s in _everything_readable(cleaned)]
    assert cleaned["project"] == "llm-chat"
    assert [(r.path, r.kind) for r in found] == [(f"tags.{name}", kind_by_name)]


@pytest.mark.parametrize(SAMPLE_FIELDS, SAMPLE_PARAMS)
def test_each_kind_is_redacted_in_a_base64_lifecycle_script(
    name: str, value: str, secret: str | None, kind_by_name: str, kind_in_script: str
) -> None:
    script = f"#!/bin/bash\nset -euo pipefail\nexport {name}='{value}'\npip install -r requirements.txt\n"
    cleaned, found = redact({"OnCreate": [{"Content": base64.b64encode(script.encode()).decode()}]})
    text = base64.b64decode(cleaned["OnCreate"][0]["Content"]).decode()
    assert not [s for s in _secrets_of(value, secret) if s in _everything_readable({"script": text})]
    assert f"[REDACTED:{kind_in_script}]" in text and "pip install -r requirements.txt" in text
    assert [(r.path, r.kind) for r in found] == [("OnCreate.0.Content", kind_in_script)]


LOOK_ALIKES = [
    pytest.param(
        "MODEL_SHA256", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", id="sha256 digest"
    ),
    pytest.param(
        "IMAGE",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/trainer@sha256:"
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        id="image digest",
    ),
    pytest.param("MODEL", "arn:aws:sagemaker:us-east-1:111122223333:model/fraud-classifier-v3", id="model arn"),
    pytest.param("RUN_ID", "3f2b8c4e-9a1d-4e7b-8c2f-5d6a7b8c9d0e", id="uuid"),
    pytest.param(
        "CONFIG_URL",
        "https://huggingface.co/meta-llama/Llama-3.1-8B-Instruct/resolve/main/config.json",
        id="url without password",
    ),
    pytest.param(
        "DATA",
        "https://mlartifacts.blob.core.windows.net/datasets/train.parquet?versionid=2026-11-01",
        id="blob url without sas",
    ),
    pytest.param("MLFLOW_TRACKING_URI", "postgresql://db.internal:5432/mlflow", id="dsn without credentials"),
    pytest.param("HF_TOKEN", "projects/ml-prod-4521/secrets/hf-token/versions/latest", id="secret manager reference"),
    pytest.param(
        "KmsKeyId", "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", id="kms key arn"
    ),
    pytest.param(
        "SETUP",
        base64.b64encode(b"#!/bin/bash\npip install torch==2.4.0 transformers\n").decode(),
        id="base64 without secret",
    ),
    *(pytest.param(a.name, a.value, id=a.id) for a in secret_shapes.LOOK_ALIKES),
]


@pytest.mark.parametrize("location", LOCATIONS)
@pytest.mark.parametrize(("name", "value"), LOOK_ALIKES)
def test_look_alikes_are_kept(location: str, name: str, value: str) -> None:
    document, _ = LOCATIONS[location](name, value)
    assert redact(document) == (document, [])
    assert redact({name: value}, prefix="tags") == ({name: value}, [])
    script = base64.b64encode(f"#!/bin/bash\nexport {name}='{value}'\n".encode()).decode()
    assert redact({"OnStart": [{"Content": script}]}) == ({"OnStart": [{"Content": script}]}, [])


def test_a_collection_errors_message_is_scrubbed_before_anything_keeps_it() -> None:
    from cspm_ai.model import CollectionError

    password, signature = "hunter2-Correct-Horse", "sv2024abcdEFGHijklMNOPqrst%2Bu"
    err = CollectionError(
        "azure",
        "sub",
        "eastus2",
        "Microsoft.Storage",
        "Microsoft.Storage/read",
        "Forbidden",
        f"GET https://ml:{password}@files.example.com/x?sp=r&sig={signature} was refused",
    )
    assert password not in err.message and signature not in err.message
    assert "[REDACTED:url_password]" in err.message and "was refused" in err.message


def test_a_vault_reference_is_kept_whole_but_a_credential_inside_one_is_not() -> None:
    reference = "arn:aws:secretsmanager:us-east-1:111122223333:secret:kb-creds-AbCdEf"
    assert redact({"credentialsSecretArn": reference}) == ({"credentialsSecretArn": reference}, [])
    script = f"export KB_SECRET={reference}\n"
    assert redact_text(script) == script
    planted = "arn:aws:secretsmanager:us-east-1:111122223333:secret:AKIAIOSFODNN7EXAMPLE"
    cleaned, found = redact({"ref": planted})
    assert "AKIAIOSFODNN7EXAMPLE" not in cleaned["ref"] and found == [Redaction("ref", "aws_access_key_id")]


def test_a_secret_reference_object_names_the_secret_and_is_kept_but_a_credential_in_it_is_not() -> None:
    document = {"secretEnv": [{"name": "HF_TOKEN", "secretRef": {"secret": "hf-token-prod", "version": "3"}}]}
    assert redact(document) == (document, [])
    token = "hf_" + "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
    leaked = {"env": [{"name": "X", "valueFrom": {"secretKeyRef": {"name": "creds", "key": token}}}]}
    cleaned, found = redact(leaked)
    assert token not in repr(cleaned) and [r.kind for r in found] == ["huggingface_token"]


def test_a_generic_field_under_a_secret_like_parent_holds_its_secret() -> None:
    key = "c4f1a9e27b3d8e6f0a5c2b9d4e7f1a3c"
    connection = {"properties": {"authType": "ApiKey", "credentials": {"key": key}}}
    cleaned, found = redact(connection)
    assert key not in repr(cleaned) and found == [Redaction("properties.credentials.key", "secret_by_name")]
    assert redact({"metadata": {"key": key}}) == ({"metadata": {"key": key}}, [])


# ----------------------------------------------------------------------------- what makes redaction fast stays exact


@pytest.mark.parametrize(("name", "value", "secret", "kind_by_name", "kind_in_script"), SAMPLE_PARAMS)
def test_the_fast_path_changes_no_answer(
    name: str, value: str, secret: str | None, kind_by_name: str, kind_in_script: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Text holding no secret-name part skips the name/value passes: every answer is the one without the skip."""
    from cspm_ai import redact as module

    texts = [f"export {name}={value}", json.dumps({name: value}), f"<{name}>{value}</{name}>", f"{name}: {value}"]
    if module.is_secret(name, value):
        assert module._may_name_secret(name)
    fast = [(redact_text(t, (kinds := []).append), kinds) for t in texts]
    monkeypatch.setattr(module, "_may_name_secret", lambda _text: True)
    module._redacted_short.cache_clear()
    assert [(redact_text(t, (kinds := []).append), kinds) for t in texts] == fast
    module._redacted_short.cache_clear()


def test_a_remembered_text_reports_its_kinds_every_time() -> None:
    text = f"DB_PASSWORD={FAKE_SECRET}"
    first: list[str] = []
    again: list[str] = []
    assert redact_text(text, first.append) == redact_text(text, again.append)
    assert redact_text(text) == "DB_PASSWORD=[REDACTED:secret_assignment]"
    assert first == again == ["secret_assignment"]
