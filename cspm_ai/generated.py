"""Writes the files generated from the code: the check catalogue, the shipped read-only permissions of
each cloud, and the README's copies of those permissions. `make docs` runs it; tests/test_docs_in_sync.py
fails until it has been run after a change to the checks or the collectors' declarations."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PERMISSIONS = Path(__file__).resolve().parent / "permissions"


def _permission_documents() -> dict[str, tuple[dict[str, object], str]]:
    """File name -> (document, the README code block's first line that identifies it)."""
    from collectors.aws.permissions import policy_document
    from collectors.azure.permissions import role_definition as azure_role
    from collectors.gcp.permissions import role_definition as gcp_role

    return {
        "aws-readonly-policy.json": (policy_document(), '  "Version"'),
        "azure-readonly-role.json": (azure_role(), '  "Name": "cspm-ai reader"'),
        "gcp-readonly-role.json": (gcp_role(), '  "title": "cspm-ai reader"'),
    }


def render_json(document: dict[str, object]) -> str:
    return json.dumps(document, indent=2) + "\n"


def _readme_with(readme: str, first_line: str, document: dict[str, object]) -> str:
    block = re.compile(r"```json\n\{\n" + re.escape(first_line) + r".*?\n```", re.DOTALL)
    replacement = "```json\n" + render_json(document) + "```"
    updated, count = block.subn(lambda _m: replacement, readme, count=1)
    if count != 1:
        raise SystemExit(f"README.md has no json block starting with {first_line.strip()}")
    return updated


def generate(write: Callable[[Path, str], None]) -> None:
    from cspm_ai.catalogue import catalogue_markdown
    from cspm_ai.registry import all_checks

    write(ROOT / "docs" / "checks.md", catalogue_markdown(all_checks()))
    readme = (ROOT / "README.md").read_text("utf-8")
    for name, (document, first_line) in _permission_documents().items():
        write(PERMISSIONS / name, render_json(document))
        readme = _readme_with(readme, first_line, document)
    write(ROOT / "README.md", readme)


def main() -> None:
    changed: list[str] = []

    def write(path: Path, text: str) -> None:
        if not path.exists() or path.read_text("utf-8") != text:
            path.write_text(text, "utf-8")
            changed.append(str(path.relative_to(ROOT)))

    generate(write)
    print("regenerated: " + ", ".join(changed) if changed else "generated files are current")


if __name__ == "__main__":
    main()
