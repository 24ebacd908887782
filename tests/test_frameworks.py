"""The framework files are data a compliance team reviews: lint them like the registry."""

from __future__ import annotations

import json
from importlib.resources import files

import pytest

from cspm_ai.checklist import checklist
from cspm_ai.compliance import FRAMEWORKS_DIR, compliance_of, framework, frameworks
from cspm_ai.errors import NotFoundError
from cspm_ai.registry import all_checks

# The shipped frameworks and the shape of their control ids. A file cannot loosen
# its own pattern: the test holds the expected one.
EXPECTED_ID_PATTERNS = {
    "checklist": r"^(CL|ZT|PH|MS|DP)-[0-9]+$",
    "nist-800-53-r5": r"^[A-Z]{2}-[0-9]+(\([0-9]+\))?$",
    "iso-27001-2022": r"^A\.[5-8]\.[0-9]+$",
    "soc2-2017": r"^(CC[1-9]\.[0-9]+|A1\.[0-9]|C1\.[0-9]|PI1\.[0-9]|P[1-8]\.[0-9])$",
    "hipaa-security": r"^164\.3(08|10|12|14|16)\([a-e]\)(\([0-9]+\))?(\((i|ii|iii|iv|v|vi)\))?(\([A-D]\))?$",
    "pci-dss-4.0": r"^[1-9][0-2]?(\.[0-9]+){1,3}$",
    "gdpr": r"^Art\. (25|30|32)\([0-9]\)(\([a-d]\))?$",
    "nist-ai-rmf-1.0": r"^(GOVERN|MAP|MEASURE|MANAGE) [0-9]+\.[0-9]+$",
    "iso-42001-2023": r"^A\.([2-9]|10)\.[0-9]+(\.[0-9]+)?$",
    "eu-ai-act": r"^Art\. (9|10|11|12|13|14|15)(\([0-9]+\))?$",
    "owasp-ml-top10-2023": r"^ML(0[1-9]|10):2023$",
    "owasp-llm-top10-2025": r"^LLM(0[1-9]|10):2025$",
    "mitre-atlas": r"^AML\.M[0-9]{4}$",
    "cis-aws-3.0": r"^[0-9]+\.[0-9]+(\.[0-9]+)?$",
    "cis-azure-2.0": r"^[0-9]+\.[0-9]+(\.[0-9]+)?$",
    "cis-gcp-2.0": r"^[0-9]+\.[0-9]+(\.[0-9]+)?$",
}


def test_the_shipped_frameworks_are_exactly_the_expected_ones() -> None:
    assert set(frameworks()) == set(EXPECTED_ID_PATTERNS)
    assert next(iter(frameworks())) == "checklist"


@pytest.mark.parametrize("framework_id", sorted(EXPECTED_ID_PATTERNS))
def test_a_framework_file_is_well_formed(framework_id: str) -> None:
    fw = frameworks()[framework_id]
    assert fw.control_id_pattern == EXPECTED_ID_PATTERNS[framework_id]
    check_ids = {c.id for c in all_checks()}
    for control in fw.controls:
        assert set(control.checks) <= check_ids, f"{framework_id} {control.id} names an unknown check"
        assert set(control.checklist) <= set(checklist()), f"{framework_id} {control.id} names an unknown item"
        assert len(set(control.checks)) == len(control.checks)
        assert len(set(control.checklist)) == len(control.checklist)
        assert control.title.strip() == control.title and control.title != control.id
    # Every framework has controls with automated evidence, and some a person must attest.
    automated = any(fw.controls_for(k.id, k.checklist) for k in all_checks())
    assert automated, f"{framework_id} has no control any check gives evidence for"


def test_a_misspelt_key_in_a_framework_file_fails_loudly() -> None:
    from pydantic import ValidationError

    from cspm_ai.compliance import Framework

    raw = json.loads(files("cspm_ai").joinpath(FRAMEWORKS_DIR, "gdpr.json").read_text("utf-8"))
    raw["controls"][0]["check"] = raw["controls"][0].pop("checklist", [])
    with pytest.raises(ValidationError):
        Framework.model_validate(raw)
    raw = json.loads(files("cspm_ai").joinpath(FRAMEWORKS_DIR, "gdpr.json").read_text("utf-8"))
    raw["controls"].append(dict(raw["controls"][0]))
    with pytest.raises(ValidationError, match="appears twice"):
        Framework.model_validate(raw)


def test_every_check_maps_to_at_least_three_frameworks() -> None:
    thin = {c.id: sorted(c.compliance) for c in all_checks() if len(c.compliance) < 3}
    assert not thin


def test_a_checks_compliance_is_derived_from_the_framework_files() -> None:
    for spec in all_checks():
        assert dict(spec.compliance) == compliance_of(spec.id, spec.checklist)
        assert set(spec.compliance["checklist"]) == set(spec.checklist)


def test_every_checklist_item_is_mapped_by_several_frameworks() -> None:
    for item in checklist():
        mapped_by = [
            fid
            for fid, fw in frameworks().items()
            if fid != "checklist" and any(item in c.checklist for c in fw.controls)
        ]
        assert len(mapped_by) >= 4, f"{item} is mapped only by {mapped_by}"


def test_the_checklist_framework_is_the_checklist() -> None:
    fw = frameworks()["checklist"]
    assert [c.id for c in fw.controls] == list(checklist())
    assert all(c.checklist == (c.id,) for c in fw.controls)


def test_framework_names_are_looked_up_case_insensitively() -> None:
    assert framework("NIST-800-53-R5").id == "nist-800-53-r5"
    with pytest.raises(NotFoundError) as caught:
        framework("sox")
    assert "nist-800-53-r5" in caught.value.hint
