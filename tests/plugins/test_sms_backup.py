"""The SMS Backup & Restore plugin on backups written here."""

from __future__ import annotations

import base64
from pathlib import Path

import intake.builtin.sms_backup as sb

from intake.testing import run_plugin

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9Q"
                       "DwADhgGAWjR9awAAAABJRU5ErkJggg==")

CALLS = """<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>
<calls count="8">
  <call number="+32470111111" duration="65" date="1647611761000" type="1" presentation="1" readable_date="18 mrt. 2022 14:56:01" contact_name="Kevin" />
  <call number="+32470111111" duration="12" date="1647611821000" type="2" presentation="1" contact_name="Kevin" />
  <call number="+32470111111" duration="0" date="1647611881000" type="3" presentation="1" contact_name="Kevin" />
  <call number="+32470111111" duration="30" date="1647611941000" type="4" presentation="1" contact_name="Kevin" />
  <call number="+32470111111" duration="0" date="1647612001000" type="5" presentation="1" contact_name="Kevin" />
  <call number="+32470111111" duration="0" date="1647612061000" type="6" presentation="1" contact_name="Kevin" />
  <call number="-2" duration="0" date="1647612121000" type="3" presentation="2" contact_name="(Unknown)" />
  <call number="" duration="5" date="1647612181000" type="1" presentation="2" rings="4" />
</calls>
"""

SMS = f"""<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>
<?xml-stylesheet type="text/xsl" href="sms.xsl"?>
<smses count="3">
  <sms protocol="0" address="+32470111111" date="1647611761123" type="1" body="Ik zie je &amp; je auto" date_sent="1647611760000" readable_date="18 mrt. 2022 14:56:01" contact_name="Kevin" />
  <sms protocol="0" address="+32470111111" date="1647611821000" type="2" body="Laat me gerust" contact_name="Kevin" />
  <mms date="1647611881000" msg_box="1" address="+32470111111" contact_name="Kevin">
    <parts>
      <part seq="-1" ct="application/smil" name="smil.xml" text="&lt;smil/&gt;" />
      <part seq="0" ct="image/png" name="null" cl="foto.png" data="{base64.b64encode(PNG).decode()}" />
      <part seq="0" ct="text/plain" name="text.txt" text="Kijk eens" />
    </parts>
    <addrs>
      <addr address="+32470111111" type="137" />
      <addr address="+32499000000" type="151" />
    </addrs>
  </mms>
</smses>
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_calls_each_type_and_withheld(tmp_path):
    result = run_plugin(sb, write(tmp_path, "calls-20220318.xml", CALLS))
    events = result.events
    assert result.extraction.kind == "call-log"
    assert len(events) == 8
    assert [e.facts["direction"] for e in events] == [
        "incoming", "outgoing", "missed", "voicemail", "rejected", "blocked", "missed",
        "incoming"]
    first = events[0]
    assert first.kind == "call" and first.key == "call-1"
    assert first.facts["number"] == "+32470111111"
    assert first.facts["contact"] == "Kevin"
    assert first.facts["duration_seconds"] == 65
    assert first.facts["withheld"] is False
    assert first.who == "Kevin (+32470111111)"
    claim = first.claims[0]
    assert claim.local == "2022-03-18T13:56:01"
    assert claim.offset == "Z" or claim.offset == "+00:00"
    assert claim.utc == "2022-03-18T13:56:01Z"
    assert claim.zone == "utc"
    assert claim.meaning == "called"
    assert events[1].to == ("Kevin (+32470111111)",) and events[1].who == ""
    withheld = events[6]
    assert withheld.facts["withheld"] is True
    assert withheld.facts["number"] == "withheld"
    assert withheld.facts["raw_number"] == "-2"
    assert withheld.facts["contact"] == ""
    assert withheld.category == "unwanted-communication"
    assert events[7].facts["withheld"] is True and events[7].facts["rings"] == 4
    assert events[0].category == ""
    assert result.warnings == []


def test_sms_and_mms(tmp_path):
    result = run_plugin(sb, write(tmp_path, "sms-20220318.xml", SMS))
    sms_in, sms_out, mms = result.events
    assert sms_in.kind == "sms" and sms_in.facts["direction"] == "incoming"
    assert sms_in.facts["body"] == "Ik zie je & je auto"
    assert sms_in.claims[0].utc == "2022-03-18T13:56:01.123Z"
    assert sms_in.claims[0].meaning == "received"
    sent = [c for c in sms_in.claims if c.meaning == "sent"][0]
    assert sent.utc == "2022-03-18T13:56:00Z"
    assert sms_out.facts["direction"] == "outgoing"
    assert sms_out.claims[0].meaning == "sent"
    assert mms.kind == "mms" and mms.key == "mms-3"
    assert mms.facts["body"] == "Kijk eens"
    assert mms.facts["attachments"] == ["foto.png"]
    (part,) = result.derived
    assert part.data == PNG and part.name == "foto.png"
    assert part.relation == "mms-part" and part.event_key == "mms-3"
    assert part.mime == "image/png"
    assert result.facts == {"root": "smses", "sms": 2, "mms": 1, "calls": 0}


def test_backup_saved_as_txt(tmp_path):
    result = run_plugin(sb, write(tmp_path, "backup.txt", SMS.split("\n", 1)[1]))
    assert len(result.events) == 3


def test_truncated_backup_keeps_earlier_records(tmp_path):
    cut = SMS[:SMS.index("<mms") + 40]
    result = run_plugin(sb, write(tmp_path, "sms.xml", cut))
    assert [e.kind for e in result.events][:2] == ["sms", "sms"]
    assert any("cut off or damaged after record 2" in w for w in result.warnings)
    recovered = result.events[2:]
    assert all("recovered-from-damaged-file" in e.flags for e in recovered)


def test_an_encoding_that_does_not_exist_is_said_and_the_records_are_still_read(tmp_path):
    """A damaged declaration (found by the fuzzer: encoding='UTTF-8') stopped the plugin
    with LookupError; the messages are plain UTF-8 and are read anyway."""
    bad = SMS.replace("encoding='UTF-8'", "encoding='UTTF-8'", 1)
    result = run_plugin(sb, write(tmp_path, "sms.xml", bad))
    assert any("names a character encoding that does not exist" in w and "UTTF-8" in w
               for w in result.warnings)
    texts = [e.facts.get("body") for e in result.events]
    assert "Ik zie je & je auto" in texts and "Laat me gerust" in texts
    assert all("recovered-from-damaged-file" in e.flags for e in result.events)


def test_dates_in_seconds_and_count_mismatch(tmp_path):
    text = ('<smses count="5"><sms address="+32470111111" date="1647611761" type="1" '
            'body="x"/></smses>')
    result = run_plugin(sb, write(tmp_path, "sms.xml", text))
    (event,) = result.events
    claim = event.claims[0]
    assert claim.utc == "2022-03-18T13:56:01Z"
    assert "date-in-seconds" in claim.flags and claim.confidence == "medium"
    assert any("holds 5 records, but 1" in w for w in result.warnings)
    assert any("seconds instead of milliseconds" in w for w in result.warnings)


def test_corrupt_base64_part(tmp_path):
    text = ('<smses count="1"><mms date="1647611881000" msg_box="1" address="+32470111111">'
            '<parts><part ct="image/jpeg" cl="kapot.jpg" data="not base64!!"/></parts>'
            '</mms></smses>')
    result = run_plugin(sb, write(tmp_path, "sms.xml", text))
    assert len(result.events) == 1 and result.derived == ()
    assert any("kapot.jpg" in w and "damaged" in w for w in result.warnings)


def test_doctype_is_refused(tmp_path):
    text = ('<?xml version="1.0"?><!DOCTYPE smses [<!ENTITY a "aaaa">]>'
            '<smses count="1"><sms address="&a;" date="1647611761000" type="1"/></smses>')
    result = run_plugin(sb, write(tmp_path, "sms.xml", text))
    assert result.events == ()
    assert any("DOCTYPE" in w for w in result.warnings)


def test_other_apps_are_not_mine(tmp_path):
    text = ('<?xml version="1.0"?><alllogs count="1"><log number="+32470111111" '
            'date="1647611761000" type="1" dur="3"/></alllogs>')
    assert run_plugin(sb, write(tmp_path, "calls.xml", text)).extraction is None
    assert run_plugin(sb, write(tmp_path, "a.txt", "hello <smses>")).extraction is None
