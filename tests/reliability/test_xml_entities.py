"""Issue 9, point 12a: an SMS backup must never expand XML entities.

The old guard looked at the text before the root element for ``<!DOCTYPE``;
a comment holding ``<smses>`` before the DOCTYPE fooled it, and the internal
entity then expanded into the chronology ("SMS from Police Gent"). The file
is now parsed with DTDs forbidden (defusedxml), whatever text comes first.
"""

from __future__ import annotations

import json

from tests.helpers import drop, ingest, new_case, ok, run_intake

ATTACK = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<!-- <smses count="1"> -->\n'
    '<!DOCTYPE smses [<!ENTITY sender "Police Gent">]>\n'
    '<smses count="1">\n'
    '  <sms protocol="0" address="+32468990123" date="1730000000000" type="1" '
    'body="Kom naar het kantoor" contact_name="&sender;" readable_date="" />\n'
    "</smses>\n"
)


def _chronology(case, tmp_path) -> dict:
    out = tmp_path / "report"
    ok(run_intake("chronology", "--case", case, "--out", out, "--format", "json"))
    return json.loads((out / "chronology.json").read_text(encoding="utf-8"))


def test_comment_before_doctype_does_not_expand_entities(tmp_path):
    case = new_case(tmp_path / "case")
    drop(case, "sms-backup.xml", ATTACK.encode())
    ingest(case)
    doc = _chronology(case, tmp_path)
    text = json.dumps(doc, ensure_ascii=False)
    assert "Police Gent" not in text
    assert not [e for e in doc["entries"] + doc["undated"] if e["kind"] == "sms"]
    (exhibit,) = [x for x in doc["exhibits"] if "sms-backup.xml" in x["names"]]
    assert any("DOCTYPE" in w for w in exhibit["warnings"]), exhibit["warnings"]


def test_entity_inside_the_root_is_not_expanded(tmp_path):
    """No DOCTYPE at all: an entity reference is an error, never a lookup."""
    from intake.builtin import sms_backup

    from intake.testing import run_plugin

    path = tmp_path / "b.xml"
    path.write_text('<smses count="1"><sms address="1" date="1730000000000" type="1" '
                    'body="&amp;&lt;ok" contact_name="A" /></smses>', encoding="utf-8")
    result = run_plugin(sms_backup, path)
    (event,) = result.events
    assert event.facts["body"] == "&<ok"
