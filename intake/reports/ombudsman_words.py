"""Words of the ombudsman request and of curation in the police report.

English message ids, translated with the gettext catalogues (intake/i18n.py,
context ``ombudsman`` or ``curation``; nl and fr in intake/locale). The
Ombudsdienst voor Telecommunicatie / Service de médiation pour les
télécommunications works in Dutch and French; English is for information.
"""

from __future__ import annotations

from intake.i18n import translator


def words(lang: str | None) -> dict[str, str]:
    """The words in `lang` (nl, fr, en; Dutch for anything else), by key."""
    t = translator(lang)
    out = {
        'title': t.pgettext("ombudsman", "Request to identify the caller behind malicious calls"),
        'to': t.pgettext("ombudsman", "To the Belgian Ombudsman for Telecommunications"),
        'requester': t.pgettext("ombudsman", "Requester"),
        'name': t.pgettext("ombudsman", "Name"),
        'address': t.pgettext("ombudsman", "Address"),
        'phone': t.pgettext("ombudsman", "Number on which the calls and messages were received"),
        'operator': t.pgettext("ombudsman", "Operator"),
        'pv': t.pgettext("ombudsman", "Police report (PV number)"),
        'police_zone': t.pgettext("ombudsman", "Police zone"),
        'date': t.pgettext("ombudsman", "Date of the request"),
        'intro': t.pgettext("ombudsman", "I ask the Ombudsman for Telecommunications to tell me who made the unwanted calls and sent the messages listed below. I reported them to the police (see the PV number above). The list comes from my phone's call and message log; times are Belgian time, to the second."),
        'list': t.pgettext("ombudsman", "Calls and messages"),
        'selection': t.pgettext("ombudsman", "Listed: incoming calls and messages from withheld or unknown numbers and from the suspect's numbers, and what the adviser added by hand. Calls and messages from friends and family are left out."),
        'rings_note': t.pgettext("ombudsman", "Rings: the phone records how long a call lasted, not how many times it rang. Fill in this column yourself where you know; mark an estimate as an estimate."),
        'col_nr': t.pgettext("ombudsman", "No."),
        'col_date': t.pgettext("ombudsman", "Date"),
        'col_time': t.pgettext("ombudsman", "Time"),
        'col_number': t.pgettext("ombudsman", "Number"),
        'col_kind': t.pgettext("ombudsman", "Type"),
        'col_status': t.pgettext("ombudsman", "Status"),
        'col_duration': t.pgettext("ombudsman", "Duration (min:s)"),
        'col_rings': t.pgettext("ombudsman", "Rings"),
        'col_description': t.pgettext("ombudsman", "Description"),
        'col_exhibit': t.pgettext("ombudsman", "Exhibit"),
        'withheld': t.pgettext("ombudsman", "withheld"),
        'kind_call': t.pgettext("ombudsman", "call"),
        'kind_sms': t.pgettext("ombudsman", "SMS"),
        'kind_mms': t.pgettext("ombudsman", "MMS"),
        'st_incoming': t.pgettext("ombudsman", "answered"),
        'st_missed': t.pgettext("ombudsman", "missed"),
        'st_rejected': t.pgettext("ombudsman", "rejected"),
        'st_blocked': t.pgettext("ombudsman", "blocked"),
        'st_voicemail': t.pgettext("ombudsman", "voicemail"),
        'st_answered-externally': t.pgettext("ombudsman", "answered on another device"),
        'st_received': t.pgettext("ombudsman", "received"),
        'st_outgoing': t.pgettext("ombudsman", "outgoing"),
        'rings_recorded': t.pgettext("ombudsman", "as the phone recorded"),
        'count': t.pgettext("ombudsman", "Calls: {calls}; messages: {messages}; from a withheld number: {withheld}"),
        'empty': t.pgettext("ombudsman", "No calls or messages selected."),
        'signature': t.pgettext("ombudsman", "Signature of the requester"),
        'done_at': t.pgettext("ombudsman", "Done at"),
        'on': t.pgettext("ombudsman", "on"),
        'made_by': t.pgettext("ombudsman", "Made with intake from the chronology with root hash"),
        'exhibits_note': t.pgettext("ombudsman", "Exhibit: the exhibit's label in the chronology (chronology.pdf / chronology.json)."),
        'official': t.pgettext("ombudsman", "The ombudsman's official languages are Dutch and French: this English version is for information; submit the nl or fr version."),
        'sheet': t.pgettext("ombudsman", "Request"),
        'note': t.pgettext("curation", "Adviser's note"),
        'tags': t.pgettext("curation", "Tags"),
        'starred': t.pgettext("curation", "important"),
        'left_out': t.pgettext("curation", "Left out of this report by the adviser: {n} (they remain in chronology.json)."),
    }
    if t.lang != "en":  # the note that only nl and fr are accepted is for English readers
        out["official"] = ""
    return out
