"""Serialises a Report to report.json text: the contract's field order, indent 2, UTF-8."""

from __future__ import annotations

import json

from cspm_ai.report import Report


def render_json(report: Report) -> str:
    """The report as JSON text, keys in model (contract) order, ending with a newline."""
    # Not sort_keys: the models declare fields in contract order, and evidence keeps the
    # order its check wrote, so the same report always yields the same bytes.
    return json.dumps(report.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"
