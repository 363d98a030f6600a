"""The SMS Backup & Restore plugin reads exactly what it read before the C
parser, the day-cached epoch times and the quick construction of its events
(issue 19, figure 7): what a case records must not move by one byte.

The expected digests were taken from the plugin as it was before (main at
acff73c) on these very files, made here in code: DST nights with and without
the phone's printed dates, a phone in another zone, printed dates that match
no offset, dates in seconds, in microseconds, missing, negative or unreadable,
MMS with text, picture, SMIL and damaged parts, every call type, withheld
numbers, escaped characters, a file cut off in the middle (salvaged records),
and a file naming an encoding that does not exist.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import intake.builtin.sms_backup as sb
import pytest

from intake.serialize import dumps, to_plain
from intake.testing import run_plugin
from intake.types import CaseInfo

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9Q"
                       "DwADhgGAWjR9awAAAABJRU5ErkJggg==")

# 2021-10-31 01:30:00 UTC is the second 02:30 in Brussels (+01:00); 00:30 UTC the first
SMSES = f"""<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>
<smses count="16">
  <sms address="+32470111111" date="1635643800000" type="1" body="eerste 02:30" date_sent="1635643799000" readable_date="31 okt. 2021 02:30:00" contact_name="Kevin" />
  <sms address="+32470111111" date="1635647400123" type="1" body="tweede 02:30 &amp; &lt;meer&gt;" date_sent="0" readable_date="Oct 31, 2021 2:30:00 AM" contact_name="Kevin" />
  <sms address="+32470111111" date="1616895000000" type="2" body="gat om 02:30" readable_date="Mar 28, 2021 3:30:00 AM" contact_name="(Unknown)" />
  <sms address="+12125550100" date="1625140800000" type="1" body="New York" readable_date="Jul 1, 2021 8:00:00 AM" contact_name="Bob" />
  <sms address="+32470111111" date="1625140800000" type="1" body="geen offset" readable_date="Jul 1, 2021 10:07:13 AM" />
  <sms address="-2" date="1625140800" type="1" body="seconden" readable_date="null" />
  <sms address="private" date="1625140800000123" type="3" body="microseconden" />
  <sms address="" date="" type="4" body="geen datum" />
  <sms address="+32470222222" type="5" body="helemaal geen datum" />
  <sms address="+32470222222" date="abc" type="6" body="onleesbaar" />
  <sms address="+32470222222" date="-5" type="9" body="negatief" subject="onderwerp" />
  <sms address="+32470222222" date="99999999999999999999" type="1" body="buiten bereik" />
  <sms address="+32470333333" date="1609459199999" type="1" body="&#x1F600; laatste ms van 2020" date_sent="1609459200000" readable_date="2020/12/31 23:59:59" />
  <mms date="1647611881000" msg_box="1" address="+32470111111" contact_name="Kevin" sub="onderwerp">
    <parts>
      <part seq="-1" ct="application/smil" name="smil.xml" text="&lt;smil/&gt;" />
      <part seq="0" ct="image/png" name="null" cl="foto.png" data="{base64.b64encode(PNG).decode()}" />
      <part seq="0" ct="image/jpeg" name="kapot.jpg" data="@@@niet base64@@@" />
      <part seq="0" ct="text/plain" name="text.txt" text="Kijk eens" />
      <part seq="1" ct="text/plain" name="text2.txt" text="nog een regel" />
    </parts>
    <addrs>
      <addr address="+32470111111" type="137" />
      <addr address="+32499000000" type="151" />
      <addr address="+32499000001" type="130" />
    </addrs>
  </mms>
  <mms date="1647611941000" msg_box="2" address="+32470111111~+32470444444">
    <parts><part seq="0" ct="text/plain" text="naar twee" /></parts>
  </mms>
  <mms date="1647612001000" msg_box="7" address="" readable_date="18 mrt. 2022 15:00:01">
    <addrs><addr address="+32470555555" type="137" /></addrs>
  </mms>
</smses>
"""

CALLS = """<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>
<calls count="9">
  <call number="+32470111111" duration="65" date="1647611761000" type="1" presentation="1" readable_date="18 mrt. 2022 14:56:01" contact_name="Kevin" />
  <call number="+32470111111" duration="12" date="1647611821000" type="2" contact_name="Kevin" />
  <call number="+32470111111" duration="0" date="1647611881000" type="3" ring_count="3" />
  <call number="+32470111111" duration="30" date="1647611941000" type="4" />
  <call number="+32470111111" duration="0" date="1647612001000" type="5" />
  <call number="+32470111111" duration="0" date="1647612061000" type="6" />
  <call number="+32470111111" duration="0" date="1647612061000" type="7" />
  <call number="-2" duration="0" date="1647612121000" type="3" presentation="2" contact_name="(Unknown)" />
  <call number="" duration="x" date="1647612181000" type="12" presentation="3" rings="4" />
</calls>
"""

CUT = SMSES[:SMSES.index('<sms address="+32470222222" type="5"') + 60]
BAD_ENCODING = SMSES.replace("encoding='UTF-8'", "encoding='UTTF-8'")

#: SHA-256 of the recorded form of each reading (before: main at acff73c)
EXPECTED = {
    ("smses", "Europe/Brussels"):
        "2620677f635831a043de83dcb38ad9998efe3a5a081e93adf5c3a431ded45da8",
    ("smses", "America/New_York"):
        "9455a41f99a40d093a436f6204f1d2bd9aef75d4d3273a78e9ed9ff36f321499",
    ("calls", "Europe/Brussels"):
        "ff3ff81f6493275cd54aca5a7cd558113f756a4336b9421f0749a0c7477b45bf",
    ("cut", "Europe/Brussels"):
        "7f0cfec14cd56121485f06ec9af47fc80dc180dbd6743948592293ed1ef7d773",
    ("bad-encoding", "Europe/Brussels"):
        "1d5b33767516b04b4736c43ca4ca16ddb25f24c05f1b5fc6a9ad3b86c5b9e13e",
}
TEXTS = {"smses": SMSES, "calls": CALLS, "cut": CUT, "bad-encoding": BAD_ENCODING}


def recorded(path: Path, zone: str) -> tuple[bytes, int]:
    """What the case records of a reading: events with their resolved claims, facts,
    warnings, kind, and each derived item's name, relation, link, type and digest."""
    result = run_plugin(sb, path, case=CaseInfo(timezone=zone))
    ex = result.extraction
    assert ex is not None
    whole = {"events": to_plain(list(ex.events)), "facts": to_plain(dict(ex.facts)),
             "kind": ex.kind, "warnings": list(result.warnings),
             "derived": [[d.name, d.relation, d.event_key, d.mime,
                          hashlib.sha256(d.data).hexdigest()] for d in ex.derived]}
    return dumps(whole), len(ex.events)


@pytest.mark.parametrize(("name", "zone"), sorted(EXPECTED))
def test_the_reading_is_the_one_before(tmp_path: Path, name: str, zone: str) -> None:
    path = tmp_path / f"sms-{name}.xml"
    path.write_text(TEXTS[name], encoding="utf-8")
    data, count = recorded(path, zone)
    assert count > 0
    assert hashlib.sha256(data).hexdigest() == EXPECTED[(name, zone)], data.decode()[:3000]


@pytest.mark.parametrize("prolog", [
    '<!DOCTYPE smses [<!ENTITY boom "BOOM">]>',
    '<!-- saved by the app -->\n<?xml-stylesheet href="x.xsl"?>\n'
    '<!DOCTYPE smses SYSTEM "http://127.0.0.1:9/evil.dtd">',
])
def test_the_records_reader_refuses_a_doctype_itself(tmp_path: Path, prolog: str) -> None:
    """The records are read by the C parser, which would expand a DTD's entities:
    every way into it (`read_backup`, `stream_backup`, the hook) looks at the prolog
    with defusedxml first and reads no record of such a file."""
    from defusedxml import DefusedXmlException

    path = tmp_path / "sms-doctype.xml"
    path.write_text("<?xml version='1.0' encoding='UTF-8'?>\n" + prolog + "\n<smses count=\"1\">"
                    '<sms address="+32470111111" date="1647611761123" type="1" body="&boom;"/>'
                    "</smses>\n", encoding="utf-8")
    with pytest.raises(DefusedXmlException):
        sb.read_backup(path, [])
    reader = sb.Reader()
    with pytest.raises(DefusedXmlException):
        list(sb.stream_backup(path, reader, []))
    assert reader.counts == {"sms": 0, "mms": 0, "call": 0}
    result = run_plugin(sb, path)
    assert result.events == ()
    assert result.warnings == [sb.REFUSED_DTD]


@pytest.mark.parametrize("name", ["smses", "calls", "cut"])
def test_the_c_parser_reads_what_defusedxml_reads(tmp_path: Path, name: str) -> None:
    """The same events, counts and place of the damage from both parsers."""
    path = tmp_path / f"sms-{name}.xml"
    path.write_text(TEXTS[name], encoding="utf-8")
    read = []
    for fast in (True, False):
        reader, events, damaged = sb.Reader(), [], None
        with open(path, "rb") as source:
            try:
                for _ in sb._parse(source, reader, fast=fast):
                    events.extend(reader.events)
                    reader.events.clear()
            except sb.ET.ParseError:
                damaged = sum(reader.counts.values())
        read.append((events, reader.counts, reader.declared, damaged, reader.warnings))
    assert read[0] == read[1]
    assert len(read[0][0]) == {"smses": 16, "calls": 9, "cut": 8}[name]
    assert read[0][3] == (8 if name == "cut" else None)


def test_the_quick_constructors_make_the_classes_objects() -> None:
    """`new_event` and `new_claim` give what `Event(...)` and `TimeClaim(...)` give:
    equal, the same fields in the same order, pickled to the same bytes (the plugin
    worker pickles them); a fresh `facts` each; a missing field is the class's own
    error."""
    import pickle

    from intake.builtin._construct import new_claim, new_event

    from intake.types import Event, TimeClaim

    values = {"local": "2022-03-18T14:56:01.123", "offset": "Z", "zone": "utc",
              "source": "SMS Backup date (epoch ms)", "meaning": "received",
              "granularity": "subsecond"}
    quick, slow = new_claim(**values), TimeClaim(**values)
    assert quick == slow and list(vars(quick)) == list(vars(slow))
    assert pickle.dumps(quick) == pickle.dumps(slow)
    event = {"kind": "sms", "summary": "SMS from Kevin", "claims": (quick,), "key": "sms-1"}
    quick_event, slow_event = new_event(**event), Event(**{**event, "claims": (slow,)})
    assert quick_event == slow_event and list(vars(quick_event)) == list(vars(slow_event))
    assert pickle.dumps(quick_event) == pickle.dumps(slow_event)
    assert quick_event.facts == {} and quick_event.facts is not new_event(**event).facts
    with pytest.raises(TypeError, match="missing 1 required"):
        new_claim(local="2022-03-18", source="s")
    with pytest.raises(TypeError, match="unexpected keyword"):
        new_event(kind="sms", summary="s", colour="red")
