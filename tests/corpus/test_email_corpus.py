"""The e-mail plugin over the real corpus, checked against MANIFEST.tsv recorded_times."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

import pytest  # noqa: E402
from intake.builtin import email_messages as plugin  # noqa: E402

from intake.testing import run_plugin  # noqa: E402

CORPUS = Path(os.environ.get("INTAKE_CORPUS", ROOT.parent / "shared" / "corpus"))
FILES = sorted(str(p.relative_to(CORPUS)) for p in (CORPUS / "email").rglob("*") if p.is_file()) \
    if (CORPUS / "email").is_dir() else []

pytestmark = pytest.mark.corpus


def _reference_instant(written: str) -> datetime | None:
    """The instant the standard library reads from a Date value (comments removed)."""
    text = re.sub(r"\([^()]*\)", " ", written)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo is not None else None


def _utc(claim) -> datetime:
    return datetime.fromisoformat(claim.utc.replace("Z", "+00:00"))


def _date_written(recorded: str) -> str | None:
    m = re.search(r"Date(?: \(transport headers\))?: (.*?)(?: \[folded.*)?(?:;|$)", recorded)
    return m.group(1).strip() if m else None


@pytest.mark.parametrize("rel", FILES)
def test_every_mail_file_yields_an_extraction(corpus, manifest, rel):
    result = run_plugin(plugin, corpus / rel)
    assert result.extraction is not None, result.runs
    assert [r.status for r in result.runs] == ["ok"]
    assert result.extraction.kind == "email"
    assert result.events
    for event in result.events:
        assert event.kind == "email" and event.key
        assert all(not any("\udc80" <= ch <= "\udcff" for ch in str(v))
                   for v in (event.who, event.summary, *event.to))


@pytest.mark.parametrize("rel", [f for f in FILES if f.endswith(".eml")])
def test_eml_date_header_matches_manifest(corpus, manifest, rel):
    recorded = manifest[rel]["recorded_times"]
    event = run_plugin(plugin, corpus / rel).events[0]
    dates = [c for c in event.claims if c.source == "Date header"]
    if "(no Date header)" in recorded:
        assert "no-date" in event.flags and not dates
        return
    written = _date_written(recorded)
    assert written
    if written.startswith("<"):  # an HTML fragment instead of a date
        assert not dates and "malformed-date" in event.flags
        return
    expected = _reference_instant(written)
    if expected is None:
        # The standard library cannot read it either: flagged, never guessed silently.
        assert "malformed-date" in event.flags
        assert all(c.confidence == "low" for c in dates)
    else:
        assert len(dates) == 1
        assert _utc(dates[0]) == expected.astimezone(UTC)
        assert dates[0].zone in ("explicit", "utc")
    assert event.facts["date_as_written"].split()[:3] == written.split()[:3]


@pytest.mark.parametrize("rel", [f for f in FILES if f.endswith(".mbox")])
def test_mbox_counts_and_dates(corpus, manifest, rel):
    recorded = manifest[rel]["recorded_times"]
    count = int(re.search(r"separators=(\d+)", recorded).group(1))
    first = re.search(r"first Date: (.*?);", recorded).group(1)
    last = re.search(r"last Date: (.*?)$", recorded).group(1)
    result = run_plugin(plugin, corpus / rel)
    assert len(result.events) == count
    assert result.extraction.facts == {"format": "mbox", "messages": count}
    keys = [e.key for e in result.events]
    assert len(set(keys)) == count

    def sent(event):
        return _utc(next(c for c in event.claims if c.source == "Date header"))

    assert sent(result.events[0]) == _reference_instant(first)
    assert sent(result.events[-1]) == _reference_instant(last)


@pytest.mark.parametrize("rel", [f for f in FILES if f.endswith(".msg")])
def test_msg_times_match_manifest(corpus, manifest, rel):
    recorded = manifest[rel]["recorded_times"]
    result = run_plugin(plugin, corpus / rel)
    event = result.events[0]
    claims = {c.source: c for c in event.claims}
    written = _date_written(recorded)
    if written:
        assert _utc(claims["Date header"]) == _reference_instant(written)
    else:
        assert "Date header" not in claims
    for name, value in re.findall(r"(\w+Time)=(\S+?Z)", recorded):
        claim = claims[f"MAPI {name}"]
        assert claim.utc[:19] == value[:19], name
        assert claim.zone == "utc"
    if "ClientSubmitTime" not in recorded:
        assert "not-sent" in event.flags
    for derived in result.derived:
        assert derived.event_key == event.key and derived.data


def test_known_attachment_counts(corpus):
    """Files whose notes state the number of attachments (no per-file code in the plugin)."""
    counts = {"email/php-mime-mail-parser/m0028.eml": 10, "email/msg/unicode.msg": 2}
    for rel, expected in counts.items():
        result = run_plugin(plugin, corpus / rel)
        assert len([d for d in result.derived if d.relation == "attachment"]) == expected, rel
