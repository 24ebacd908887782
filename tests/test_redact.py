"""Secrets are removed by shape and by name, references and ordinary text are kept."""

from __future__ import annotations

import base64

import pytest

from cspm_ai.redact import redact, redact_text

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
    assert doc["containerSpec"]["env"] == [{"name": "DB_PASSWORD", "value": "[REDACTED:secret_by_name]"},
                                           {"name": "LOG_LEVEL", "value": "debug"}]
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
        "NotebookInstanceName": "research", "RoleArn": "arn:aws:iam::111122223333:role/sm",
        "DirectInternetAccess": "Disabled", "InstanceType": "ml.t3.medium", "VolumeSizeInGB": 5,
        "Tags": [{"Key": "owner", "Value": "ml-platform"}], "Description": "token bucket rate limiter",
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


@pytest.mark.parametrize("name", ["bypass", "networkRuleBypassOptions", "MAX_TOTAL_TOKENS", "tokenizer_name",
                                  "bypassProxy", "SecretsManagerArn", "compass_heading"])
def test_words_that_merely_contain_a_secret_word_are_not_secret_names(name: str) -> None:
    doc, found = redact({name: "AzureServices,Logging"})
    assert doc[name] == "AzureServices,Logging" and found == []


@pytest.mark.parametrize("name", ["dbPassword", "AWS_SECRET_ACCESS_KEY", "hfToken", "OPENAI_API_KEY", "apikey",
                                  "clientSecret", "storageConnectionString", "sasToken", "x-api-key"])
def test_secret_names_in_any_casing_are_recognised(name: str) -> None:
    doc, found = redact({name: "q8Zr2LmX0pWv7Ks"})
    assert doc[name] == "[REDACTED:secret_by_name]" and len(found) == 1
