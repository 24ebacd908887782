"""The lineage drawings of a stored scan as one self-contained HTML page (`cspm-ai bom --format html`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cspm_ai import __version__
from cspm_ai.lineage import Lineage
from cspm_ai.model import ScanRecord
from cspm_ai.report import LineageOut
from reports.lineage_drawing import NODE_HEIGHT, NODE_WIDTH, drawings

# Nothing may load and nothing may run: the page has no script at all.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


def render_lineage_html(scan: ScanRecord, lineages: Sequence[Lineage], failing: Mapping[str, int]) -> str:
    """Every serving resource's drawing, failing nodes marked, on one page that opens from disk."""
    from reports.html_writer import _environment

    items = [LineageOut.model_validate(item.as_json()) for item in lineages]
    template = _environment().get_template("lineage.html.j2")
    return template.render(
        csp=CSP,
        scan=scan,
        version=__version__,
        drawings=drawings(items, failing, len(items)),
        node_width=NODE_WIDTH,
        node_height=NODE_HEIGHT,
    )
