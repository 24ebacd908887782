"""Assertions every end-to-end scan makes of its outputs: planted secrets nowhere, hostile cloud text inert."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from bs4 import BeautifulSoup


def assert_no_secret_in(secrets: Iterable[str], haystacks: Mapping[str, bytes]) -> None:
    planted = list(secrets)
    assert planted, "the estate should plant secrets for this test to mean anything"
    for secret in planted:
        for name, blob in haystacks.items():
            assert secret.encode() not in blob, f"a planted secret leaked into {name}"


def assert_hostile_text_is_inert(html_report: Path, hostile_strings: Iterable[str]) -> None:
    """The report runs only its own script, grows no element or handler from cloud data, and still shows
    the hostile values as text."""
    soup = BeautifulSoup(html_report.read_text(), "html.parser")
    assert len(soup.find_all("script")) == 1
    assert not [tag for tag in soup.find_all(True) if any(a.startswith("on") for a in tag.attrs)]
    assert not soup.find_all("img")
    text = soup.get_text()
    assert [s for s in hostile_strings if s in text], "the hostile values should be visible, as text"
