"""Serialises a Report to report.json text: the contract's field order, indent 2, UTF-8."""

from __future__ import annotations

from cspm_ai.report import Report


def render_json(report: Report) -> str:
    """The report as JSON text, keys in model (contract) order, ending with a newline."""
    # Not sorted: the models declare fields in contract order, and evidence keeps the order its check
    # wrote, so the same report always yields the same bytes. pydantic's own serialiser writes what
    # json.dumps(report.model_dump(mode="json"), indent=2, ensure_ascii=False) wrote, ten times faster;
    # only a float written with an exponent differs in form (1e-5 for 1e-05), never in value.
    return report.model_dump_json(indent=2) + "\n"
