"""The WhatsApp plugin over every chat export of the real corpus (``corpus/chat``).

Expected values come from MANIFEST.tsv (``recorded_times``: the number of
message headers and the first and last header as written); the readings of
those headers as wall times are checked against values worked out by hand
for the files known today, and against the header's own numbers for any
file added later.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import intake.builtin.whatsapp as wa
import pytest

from intake.testing import run_plugin

pytestmark = pytest.mark.corpus

CORPUS = Path(os.environ.get("INTAKE_CORPUS",
                             Path(__file__).resolve().parents[2].parent / "shared" / "corpus"))
FILES = sorted(str(p.relative_to(CORPUS)) for p in (CORPUS / "chat").rglob("*")
               if p.is_file()) if (CORPUS / "chat").is_dir() else ["chat/(no corpus)"]

#: first and last header read as local wall time (worked out by hand)
KNOWN = {
    "chat/WhatsR/englishandroidampm.txt": ("2018-01-29T12:24:00", "2018-01-30T00:23:00"),
    "chat/WhatsR/germanios24h.txt": ("2018-01-29T12:24:03", "2018-01-30T00:13:03"),
    "chat/chat-miner/test_[mmddyy]_24hrs.txt": ("2019-01-01T11:25:00", "2021-12-30T22:01:00"),
    "chat/chat-miner/test_ddmmyy_24hrs.txt": ("2019-01-01T11:25:00", "2021-12-30T22:01:00"),
    "chat/chat-miner/test_mmddyyyy_12hrs.txt": ("2019-01-01T11:25:00", "2021-12-30T22:01:00"),
    "chat/port-whatsapp-datadonation/_chat.txt": ("2022-03-16T15:10:17", "2020-07-14T22:05:54"),
    "chat/port-whatsapp-datadonation/_chat_file3.txt": ("2022-03-16T15:10:00",
                                                        "2020-07-14T22:05:00"),
    "chat/whats-reader/bracketed-year-first-test.txt": ("2018-06-13T21:25:15",
                                                        "2018-06-13T01:56:00"),
    "chat/whats-reader/dot-time-klo-format-test.txt": ("2018-06-13T21:25:15",
                                                       "2018-06-13T21:25:00"),
    "chat/whats-reader/european-ampm-format-test.txt": ("2018-06-23T13:55:00",
                                                        "2018-06-23T01:58:00"),
    "chat/whats_json/Buddhist iOS.txt": ("2022-03-18T14:56:01", "2023-01-12T15:35:15"),
    "chat/whats_json/WhatsApp Chat - Elon Musk (FR).txt": ("2022-03-18T14:56:00",
                                                           "2023-01-07T23:32:30"),
    "chat/whats_json/WhatsApp Chat - Elon Musk (German).txt": ("2022-03-18T14:56:00",
                                                               "2023-01-07T23:32:30"),
    "chat/whats_json/WhatsApp Chat with Dmitry S EN Android.txt": ("2022-03-23T13:31:00",
                                                                   "2023-01-07T23:32:00"),
    "chat/whats_json/WhatsApp-chat met Dmitry S.txt": ("2022-03-23T13:31:00",
                                                       "2023-01-07T23:32:00"),
    "chat/whats_json/_chat_with_media.txt": ("2022-03-18T14:56:01", "2023-01-07T23:32:30"),
    "chat/whats_json/arabic_ios.txt": ("2022-03-18T14:56:00", "2022-03-27T21:56:45"),
    "chat/whats_json/iOS Indonesian.txt": ("2022-03-18T14:56:01", "2023-01-12T15:35:14"),
    "chat/whats_json/iOS Vietnamese.txt": ("2022-03-18T14:56:01", "2023-01-12T15:35:15"),
    "chat/whats_json/Чат WhatsApp с\u00a0контактом Dmitry S RU Android.txt": (
        "2022-03-23T13:31:00", "2023-01-07T23:32:00"),
    "chat/whatstk/lorem.txt": ("2020-01-15T02:22:56", "2020-05-11T22:32:48"),
    "chat/whatstk/pokemon.txt": ("2016-04-15T15:04:00", "2016-10-31T12:23:00"),
}

_INVISIBLE = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\ufeff\u061c"))
_DIGITS = {0x0660 + i: str(i) for i in range(10)}


def unescape(text: str) -> str:
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)


def oracle(row: dict) -> tuple[str, str, int]:
    value = row["recorded_times"]
    first = re.search(r'first="(.*?)";', value).group(1)
    last = re.search(r'last="(.*?)";', value).group(1)
    count = int(re.search(r"message_headers=(\d+)", value).group(1))
    return unescape(first), unescape(last), count


def plain(stamp: str) -> str:
    return " ".join(stamp.translate(_INVISIBLE).replace("\u00a0", " ").split())


def consistent(stamp: str, local: str) -> bool:
    """The wall time uses the numbers written in the header (any order, 12h clock)."""
    numbers = [int(n) for n in re.findall(r"\d+", stamp.translate(_DIGITS))]
    y, mo, d = int(local[0:4]), int(local[5:7]), int(local[8:10])
    h, mi = int(local[11:13]), int(local[14:16])
    years = {y, y % 100, y + 543}
    return (any(n in years for n in numbers) and mo in numbers and d in numbers
            and mi in numbers and (h in numbers or h % 12 in numbers or h + 12 in numbers
                                   or (h == 0 and 12 in numbers)))


@pytest.mark.parametrize("rel", FILES)
def test_chat_export(rel, corpus, manifest):
    row = manifest.get(rel)
    if row is None:
        pytest.skip(f"{rel} is not in MANIFEST.tsv")
    first, last, count = oracle(row)
    result = run_plugin(wa, corpus / rel)
    assert result.extraction is not None, result.warnings
    events = result.events
    assert len(events) == count
    assert [e.key for e in events] == [f"msg-{n}" for n in range(1, count + 1)]
    assert plain(events[0].facts["stamp"]) == plain(first)
    assert plain(events[-1].facts["stamp"]) == plain(last)
    for event in events:
        assert event.kind == "message"
        assert len(event.claims) == 1
        claim = event.claims[0]
        assert claim.offset is not None and claim.utc.endswith("Z")
        assert claim.zone == "assumed"
        assert consistent(event.facts["stamp"], claim.local), (event.facts["stamp"],
                                                               claim.local)
        assert event.facts["system"] or event.who
    if rel in KNOWN:
        assert (events[0].claims[0].local, events[-1].claims[0].local) == KNOWN[rel]
