"""Words and formats for the reports (PDF for the police, HTML, CSV/XLSX, bundle).

The English text of every label is here, each with a key; the Dutch and French
words are in the gettext catalogues (``intake/locale``), looked up with the
key as context (``pgettext(key, english)``), so a translator edits only the
``.po`` files. ``labels(lang)`` gives every label in one language. The
names of kinds, categories, flags (with their one-line explanation for the
legend), meanings, directions and time sources are in the tables below,
translated the same way (contexts ``kind``, ``category``, ``flag``,
``flag-legend``, ``meaning``, ``direction``, ``source``).
"""

from __future__ import annotations

import functools
import re

from intake.i18n import DEFAULT, LANGUAGES, translator
from intake.i18n import language as _language

__all__ = ["LANGUAGES", "DEFAULT", "LABELS", "KINDS", "CATEGORY_NAMES", "FLAGS", "MEANINGS",
           "DIRECTIONS", "SOURCES", "SOURCE_PATTERNS", "language", "labels", "kind_name",
           "category_name", "flag_name", "flag_legend", "source_name", "direction_name",
           "meaning_name", "has_source"]

LABELS: dict[str, str] = {
    'title': 'Chronology of events',
    'subtitle': 'Stalking: statement of facts and exhibits',
    'case': 'Case',
    'period': 'Period',
    'period_open': 'present',
    'generated': 'Generated',
    'tool': 'Generated with',
    'timezone': 'Time zone',
    'root_hash': 'Chronology root hash',
    'custody_head': 'Custody log, last line',
    'merkle_root': 'Merkle root (to prove one entry)',
    'json_sha256': 'SHA-256 of chronology.json',
    'page': 'Page',
    'summary': 'Summary',
    'n_entries': 'Dated events',
    'n_undated': 'Undated events',
    'n_exhibits': 'Exhibits',
    'n_incidents': 'Incidents (what the other party did)',
    'first_last': 'First and last event',
    'by_kind': 'By kind',
    'chart_week': 'Incidents per week (ISO week, local date)',
    'chart_month': 'Incidents per month (local date)',
    'chart_year': 'Incidents per year (local date)',
    'chart_peak': 'Peak',
    'chart_last4': 'Last 4 weeks',
    'chart_first4': 'First 4 weeks',
    'pv_title': 'Earlier police reports',
    'pv_number': 'Report (PV) number',
    'pv_none': 'No earlier police report numbers recorded in the logbook.',
    'chronology': 'Chronology',
    'col_nr': 'No.',
    'col_date': 'Date',
    'col_time': 'Time (UTC offset)',
    'col_what': 'What',
    'col_source': 'Source of the time',
    'col_exhibits': 'Exhibit',
    'col_witnesses': 'Witnesses',
    'undated': 'Events with no readable time',
    'copied': 'Files with no time of their own',
    'copied_intro': 'These pictures, videos, recordings and files hold no capture time. The '
                    'time shown is when each was copied to this computer, not when it was '
                    'made; they are not counted among the dated events.',
    'n_copied': 'Only a copy time',
    'no_capture_time': 'no capture time in the file; the time shown is when it was copied to '
                       'this computer',
    'no_own_time': 'no time of its own in the file; the time shown is when it was copied to '
                   'this computer',
    'thumb_copied': 'no capture time',
    'flags': 'Note',
    'exhibit_index': 'Index of exhibits',
    'col_label': 'Exhibit',
    'col_sha256': 'SHA-256',
    'col_size': 'Size (bytes)',
    'col_type': 'Type',
    'col_name': 'Original name',
    'col_attached': 'Attached',
    'yes': 'yes',
    'no': 'no',
    'not_attached': 'These exhibits could not be attached to the PDF (no good copy available):',
    'all_attached': 'Every exhibit is attached to this PDF (PDF/A-3).',
    'thumbnails': 'Photos, screenshots and videos (first picture)',
    'verify': 'How to verify this document',
    'verify_intro': 'Every exhibit is named by its SHA-256 fingerprint. If a single byte changes, the fingerprint changes completely. You can check this with standard tools, without trusting this software.',
    'verify_step1': 'Extract the attachments from this PDF: in Adobe Reader or another PDF reader from the paperclip (Attachments) panel, or on the command line with',
    'verify_step2': "Compute each exhibit's fingerprint and compare it with the index above:",
    'verify_step3': 'chronology.json (also attached) is the complete, machine-readable chronology. Its fingerprint is on the first page:',
    'verify_step4': "With the software itself: the first command checks chronology.json on its own (every entry's hash, the chain, the Merkle root and the root hash); the second, in the case folder, also recomputes the fingerprint of every stored exhibit and the custody log's chain:",
    'verify_bundle': 'Whoever received the evidence bundle (zip) checks everything at once, in the extracted folder, with:',
    'verify_chars': 'Characters the fonts of this PDF cannot show (e.g. emoji) are written as [U+XXXX]; the exact text is in chronology.json.',
    'signatures': 'Signatures',
    'signatures_intro': 'Certified true and complete.',
    'sig_victim': 'Victim',
    'sig_adviser': 'Adviser / support worker',
    'sig_name': 'Name',
    'sig_date': 'Date and place',
    'sig_signature': 'Signature',
    'missing_exhibit': 'not available',
    'attach_exhibit': 'Exhibit',
    'attach_json': 'Complete chronology (canonical JSON)',
    'col_utc_offset': 'UTC offset',
    'col_kind': 'Type',
    'col_number': 'Number',
    'col_duration': 'Duration (s)',
    'col_content': 'Content',
    'col_rings': 'Rings',
    'col_exhibit': 'Exhibit',
    'withheld': 'withheld',
    'kind_call': 'call',
    'kind_sms': 'SMS',
    'kind_mms': 'MMS',
    'dir_incoming': 'incoming',
    'dir_missed': 'missed',
    'dir_rejected': 'rejected',
    'dir_blocked': 'blocked',
    'dir_voicemail': 'voicemail',
    'readme': "EVIDENCE BUNDLE - {case}\n\nGenerated {generated} with intake {version}.\nChronology root hash: {root_hash}\n\nWhat is in this folder:\n  chronology.pdf     the chronology for police and prosecutor (PDF/A-3, with\n                     the exhibits attached)\n  chronology.json    the same chronology, complete and machine-readable\n  custody-log.jsonl  the custody log: who received, stored, read and reported\n                     what, and when (each line carries the fingerprint of the\n                     one before)\n  exhibits/          every original exhibit, named by its number and its\n                     SHA-256 fingerprint\n  SHA256SUMS         the fingerprint of every file above\n\nTo check (Linux, macOS; Windows: WSL or Git Bash), in this folder:\n\n  sha256sum -c SHA256SUMS\n\nEvery line must end in OK. On macOS without coreutils:\n  shasum -a 256 -c SHA256SUMS\nEach exhibit's name holds its fingerprint; it must also match the index in\nchronology.pdf.\n",
    'readme_missing': 'Not in this bundle (no good copy available): {labels}\n',
    # shared by every report
    'incidents_rule': 'Incidents count calls, messages, e-mails and letters from the other party (a suspect, or an unknown or withheld sender) and the facts in the logbook; not the victim\'s own messages, other people\'s messages, notices of the phone or app, corrected logbook entries or empty files. Undated facts are not in the chart.',
    'time_ambiguous': '{time}, {offset} or {other}',
    'continues': '… (the text goes on: {rest} more characters, complete in exhibit {label})',
    'ocr_marker': '(text read from the picture)',
    'ocr_marker_pdf': '(text read from the picture by a machine: OCR, may hold reading errors)',
    'legend': 'Legend',
    'legend_intro': 'What the remarks in the chronology mean:',
    'legend_none': 'No remarks.',
    'col_place': 'Place',
    'col_pv': 'PV number',
    'col_feeling': 'Impact on the victim',
    'col_tags': 'Tags',
    'col_note': 'Note',
    'col_text': 'Full text',
    'col_who': 'Who',
    'col_to': 'To',
    'col_category': 'Category',
    'col_flags': 'Remarks',
    'col_hour': 'Time',
    'col_first_sha256': 'SHA-256 of the first exhibit',
    'col_source_plugin': 'Read by',
    'place': 'Place',
    'feeling': 'Impact',
    'supersedes': 'Corrects entry {id}',
    'subject': 'Subject',
    'attachments': 'Attachments',
    'from_to': '{who} → {to}',
    'empty_text': '(no text)',
    'sheet_chronology': 'Chronology',
    'sheet_exhibits': 'Exhibits',
    'who_victim': 'the victim',
    'duration': 'Duration: {seconds} s',
    'colon': ': ',
    'or': 'or',
    # the HTML page
    'html_title': 'Chronology of facts',
    'html_case': 'Case',
    'html_period': 'Period',
    'html_open': 'today',
    'html_start': 'start',
    'html_generated': 'Made on',
    'html_tool': 'Made with',
    'html_timezone': 'Time zone',
    'html_root_hash': 'Root hash',
    'html_merkle_root': 'Merkle root',
    'html_summary': 'Summary',
    'html_n_entries': 'Dated facts',
    'html_n_undated': 'Undated facts',
    'html_n_exhibits': 'Exhibits',
    'html_per_category': 'Per category',
    'html_per_week': 'Facts per week (Monday, local date)',
    'html_per_month': 'Facts per month (local date)',
    'html_per_year': 'Facts per year (local date)',
    'html_count': 'Count',
    'html_chronology': 'Chronology',
    'html_undated': 'Facts without a readable time',
    'html_nr': 'No',
    'html_date': 'Date',
    'html_time': 'Time',
    'html_what': 'What',
    'html_who': 'Who',
    'html_category': 'Category',
    'html_exhibits': 'Exhibits',
    'html_flags': 'Flags',
    'html_witnesses': 'Witnesses',
    'html_to': 'To',
    'html_time_source': 'Time from',
    'html_why': 'Why this time',
    'html_claims': 'All time claims',
    'html_chosen': 'chosen',
    'html_see_also': 'see also',
    'html_same_screenshot': 'same screenshot',
    'html_same_image': 'same picture',
    'html_message_in_picture': 'the message shown in a picture',
    'html_same_letter': 'same letter',
    'html_exhibit_index': 'Exhibit index',
    'html_label': 'Exhibit',
    'html_preview': 'Preview',
    'html_names': 'Original name',
    'html_type': 'Type',
    'html_size': 'Size (bytes)',
    'html_inside': 'Inside',
    'html_verify': 'How to verify',
    'html_none': 'none',
    'html_verify_intro': 'Every exhibit is named by its SHA-256 fingerprint. Whoever receives an exhibit can check with standard tools that it was not changed: the result must equal the value below.',
    'html_verify_files': 'Fingerprint of each exhibit (Linux: sha256sum, macOS: shasum -a 256, Windows: certutil -hashfile FILE SHA256):',
    'html_verify_json': 'Check the chronology itself (chronology.json) without the store: every hash, the chain and the Merkle root:',
    'html_verify_store': 'With the store at hand: also every exhibit present and intact:',
}

#: Labels with no Dutch or French form (they say the English version is not the official one).
EN_ONLY: frozenset[str] = frozenset()

#: What kind of event, as a reader calls it (context ``kind``).
KINDS: dict[str, str] = {
    "photo": "photo", "screenshot": "screenshot", "email": "e-mail",
    "letter": "letter", "message": "chat message", "sms": "SMS", "mms": "MMS",
    "call": "call", "logbook": "logbook", "file": "file", "audio": "audio",
    "video": "video", "document": "document",
}

#: The adviser's categories of behaviour (context ``category``); "" = not yet set.
CATEGORY_NAMES: dict[str, str] = {
    "unwanted-communication": "unwanted communication",
    "following-or-waiting": "following or waiting",
    "physical-approach-or-violence": "physical approach or violence",
    "damage": "damage",
    "orders-in-victims-name": "orders in the victim's name",
    "contact-through-others": "contact through others",
    "": "not categorised",
}

#: Every flag a plugin or the core sets: (name, one-line explanation for the
#: legend), contexts ``flag`` and ``flag-legend``. The meta-test fails when a
#: flag found in the code or a test case is missing here or in a catalogue.
FLAGS: dict[str, tuple[str, str]] = {
    "claims-disagree": ("times disagree",
                        "Two sources give times for the same fact that are more than 2 minutes "
                        "apart; both are kept in chronology.json."),
    "low-confidence-time": ("time uncertain",
                            "The time comes from a weak source (e.g. when a file was copied), "
                            "not from the fact itself."),
    "dst-ambiguous": ("hour occurs twice",
                      "The time falls in the hour that occurs twice when clocks go back; both "
                      "possible UTC offsets are shown."),
    "dst-gap": ("hour does not exist",
                "The time falls in the hour skipped when clocks go forward; it was read with "
                "the offset before the change."),
    "placeholder": ("device's default clock",
                    "The device's clock was not set (a default date such as 1 January 2000)."),
    "unreadable-time-claim": ("unreadable time",
                              "A time was written in the file but could not be read."),
    "implausible-date": ("implausible date",
                         "The date is impossible for this fact (far future or distant past)."),
    "approximate": ("approximate time", "The victim gave the time as approximate."),
    "ambiguous-date-order": ("day and month may be swapped",
                             "The file writes dates without saying which comes first, day or "
                             "month; the reading is explained in chronology.json."),
    "date-order-differs-in-file": ("date order differs within the file",
                                   "Parts of the file write day and month in a different "
                                   "order."),
    "impossible-12h-time": ("impossible 12-hour time",
                            "A time like 00:08 AM does not exist on a 12-hour clock; it was "
                            "read as 00:08."),
    "buddhist-calendar": ("Buddhist calendar year",
                          "The phone wrote the year in the Buddhist calendar (543 years ahead); "
                          "it was converted."),
    "date-in-seconds": ("date in seconds",
                        "The backup wrote this date in seconds instead of milliseconds."),
    "date-in-microseconds": ("date in microseconds",
                             "The backup wrote this date in microseconds instead of "
                             "milliseconds."),
    "malformed-date": ("badly written date", "The date was written in a non-standard way."),
    "no-date": ("no date", "The source gives no date for this fact."),
    "several-date-headers": ("several dates",
                             "The e-mail has more than one Date line; the first is used."),
    "damaged": ("damaged file", "The file is damaged; what could be read is shown."),
    "recovered-from-damaged-file": ("recovered from a damaged file",
                                    "This part was read from a damaged file."),
    "repaired": ("file was repaired", "The file had been repaired before it was received."),
    "encrypted": ("encrypted", "The file is encrypted; its content could not be read."),
    "password-protected": ("password protected",
                           "The file is protected by a password; its content could not be "
                           "read."),
    "incremental-updates": ("changed after it was made",
                            "The PDF was changed after it was first made (incremental "
                            "updates)."),
    "invalid-address": ("invalid address", "An e-mail address in the message is not valid."),
    "look-alike-address": ("look-alike address",
                           "An e-mail address uses letters that look like others (a possible "
                           "impersonation)."),
    "reply-to-differs": ("replies go elsewhere",
                         "Replies to this e-mail go to another address than the sender's."),
    "nested-too-deep": ("nested too deep",
                        "The e-mail holds messages nested too deep to read all of them."),
    "not-sent": ("not sent", "The message was saved or drafted, but not sent."),
    "unreadable": ("unreadable", "This part could not be read."),
    "supersedes-earlier-entry": ("corrects an earlier entry",
                                 "This logbook entry corrects an earlier one, which stays in "
                                 "the record."),
    "period-start": ("start of a period",
                     "The victim gave a period (from–to); this is when it began."),
    "period-end": ("end of a period",
                   "The victim gave a period (from–to); this is when it ended."),
    "superseded": ("corrected later",
                   "A later logbook entry corrects this one; it is kept, but not counted."),
    "replaced-entry-not-found": ("corrected entry not found",
                                 "This logbook entry says it corrects an entry whose id is in "
                                 "no logbook received."),
    "named-exhibit-not-found": ("named file not found",
                                "The logbook entry names a file (exhibit) that is not among the "
                                "files received."),
    "when-it-happened-unreadable": ("date of the fact unreadable",
                                    "The date the victim wrote for the fact could not be read; "
                                    "the entry is placed at the time it was written down, if "
                                    "known."),
    "phone-zone-differs": ("phone in another time zone",
                           "The phone printed this time in another time zone than the case's "
                           "(for example abroad); the exact time is the same."),
}

#: What a time claim says happened then (context ``meaning``).
MEANINGS: dict[str, str] = {
    "taken": "taken", "sent": "sent", "received": "received", "called": "call",
    "written": "written", "created": "created", "modified": "modified",
    "recorded": "written down", "happened": "happened", "filed": "file copied or saved",
}

#: Directions of calls and messages (context ``direction``).
DIRECTIONS: dict[str, str] = {
    "incoming": "incoming", "outgoing": "outgoing", "missed": "missed",
    "voicemail": "voicemail", "rejected": "rejected", "blocked": "blocked",
    "answered-externally": "answered on another device", "draft": "draft", "sent": "sent",
    "outbox": "not yet sent", "failed": "failed", "queued": "queued",
}

#: Time sources as built-in plugins write them -> the words a reader sees
#: (context ``source``). The field's technical name stays in the words, so an
#: expert can find it in the file.
SOURCES: dict[str, str] = {
    "EXIF DateTimeOriginal": "when the picture was taken, per the camera (EXIF DateTimeOriginal)",
    "EXIF CreateDate": "when the picture was digitised, per the camera (EXIF DateTimeDigitized)",
    "EXIF ModifyDate": "when the picture file was last changed (EXIF DateTime)",
    "EXIF GPS date and time (UTC)": "satellite time of the camera's GPS (EXIF GPS, UTC)",
    "Reconyx maker note DateTimeOriginal": "when the picture was taken, per the trail camera "
                                           "(Reconyx maker note)",
    "IPTC DateCreated + TimeCreated": "when the picture was taken, per the photographer's "
                                      "software (IPTC DateCreated, TimeCreated)",
    "IPTC DigitalCreationDate + DigitalCreationTime": "when the picture was digitised "
                                                      "(IPTC DigitalCreationDate, "
                                                      "DigitalCreationTime)",
    "XMP exif:DateTimeOriginal": "when the picture was taken (XMP exif:DateTimeOriginal)",
    "XMP exif:DateTimeDigitized": "when the picture was digitised (XMP exif:DateTimeDigitized)",
    "XMP xmp:CreateDate": "when the file was created (XMP xmp:CreateDate)",
    "XMP photoshop:DateCreated": "when the picture was created (XMP photoshop:DateCreated)",
    "XMP xmp:ModifyDate": "when the file was last changed (XMP xmp:ModifyDate)",
    "XMP xmp:MetadataDate": "when the file's description was last changed (XMP xmp:MetadataDate)",
    "PNG tIME": "when the PNG picture was last changed (PNG tIME)",
    "file modified time": "when the file was last saved on the disk it came from",
    "file created time": "when the file was created on the disk it came from",
    "SMS Backup date (epoch ms)": "the phone's time in the backup (date, UTC)",
    "date_sent (epoch ms)": "the sender's time in the backup (date_sent, UTC)",
    "readable_date": "the date as the phone printed it in the backup (readable_date)",
    "Date header": "the date written by the sender's mail program (Date)",
    "mbox From_ line": "the date of the mailbox file's separator line (From_)",
    "WhatsApp message header": "the time at the start of the message in the WhatsApp export",
    "MAPI ClientSubmitTime": "when the sender's Outlook sent the message (ClientSubmitTime)",
    "MAPI MessageDeliveryTime": "when the message reached this mailbox (MessageDeliveryTime)",
    "MAPI CreationTime": "when this copy of the message was made (CreationTime)",
    "MAPI LastModificationTime": "when this copy of the message was last changed "
                                 "(LastModificationTime)",
    "PDF Info CreationDate": "when the PDF was created (Info CreationDate)",
    "PDF Info ModDate": "when the PDF was last changed (Info ModDate)",
    "WhatsApp media file name": "the day in the WhatsApp media file's name",
    "camera or recorder file name": "the time the phone's camera or recorder app wrote "
                                    "into the file's name",
    "WhatsApp (iPhone) media file name": "the time in the WhatsApp (iPhone) media file's name",
    "QuickTime com.apple.quicktime.creationdate": "when the recording started, per the "
                                                  "iPhone (QuickTime creationdate, with "
                                                  "its offset)",
    "MP4 movie header (mvhd creation time)": "when the recording was written, per its "
                                             "container (MP4 mvhd, UTC)",
    "docProps/core.xml dcterms:created": "when the document was created, per its properties "
                                         "(dcterms:created)",
    "docProps/core.xml dcterms:modified": "when the document was last saved, per its "
                                          "properties (dcterms:modified)",
    "meta.xml meta:creation-date": "when the document was created, per its properties "
                                   "(meta:creation-date)",
    "meta.xml dc:date": "when the document was last saved, per its properties (dc:date)",
    "status-bar clock (OCR)": "the clock shown in the screenshot's status bar (read by OCR)",
    "date written in the document (OCR)": "the date written in the document (read by OCR)",
}

#: Time sources with a variable part: English pattern -> words (context
#: ``source``); the ``{name}`` parts are copied as they are.
SOURCE_PATTERNS: dict[str, str] = {
    'PNG text "{key}"': 'the PNG picture\'s text field "{key}"',
    "file name ({label})": "the file name ({label})",
    "Received header {n} (by {by})": "mail server {n} that passed it on ({by}, Received)",
    "Received header {n}": "mail server {n} that passed it on (Received)",
    "logbook {date}/{time} (declared)": "the victim's logbook ({date}/{time})",
    "logbook {written}": "when the victim wrote it down in the logbook ({written})",
    "XMP {name}": "the PDF's description (XMP {name})",
    "PDF Info {name}": "the PDF's description (Info {name})",
    "{container} tag {tag}": "the recording's date tag ({container} {tag})",
    "the message it is attached to ({source})": "the message this file is attached to "
                                                "({source})",
}


def _pattern(english: str) -> re.Pattern[str]:
    parts = re.split(r"(\{\w+\})", english)
    rx = "".join(f"(?P<{p[1:-1]}>.+?)" if re.fullmatch(r"\{\w+\}", p) else re.escape(p)
                 for p in parts)
    return re.compile(rx + r"\Z", re.S)


_SOURCE_RX = [(_pattern(en), en) for en in SOURCE_PATTERNS]


def language(lang: str | None) -> str:
    """The report language for a requested one: nl, fr or en; anything else is nl."""
    return _language(lang)


def labels(lang: str | None) -> dict[str, str]:
    """Every label in `lang`, from the catalogue (English where it has none).

    Looked up once per translator, not once per entry (a report of 100,000
    entries asked for them about a million times); each caller gets its own copy."""
    return dict(_labels(translator(lang)))


@functools.lru_cache(maxsize=8)
def _labels(t) -> dict[str, str]:
    return {k: ("" if k in EN_ONLY and t.lang != "en" else t.pgettext(k, v))
            for k, v in LABELS.items()}


def kind_name(kind: str, lang: str | None) -> str:
    english = KINDS.get(kind)
    return translator(lang).pgettext("kind", english) if english else kind


def category_name(code: str, lang: str | None) -> str:
    english = CATEGORY_NAMES.get(code or "")
    return translator(lang).pgettext("category", english) if english else code


def flag_name(code: str, lang: str | None) -> str:
    """A flag in plain words; an unknown flag shows as its code."""
    pair = FLAGS.get(code)
    return translator(lang).pgettext("flag", pair[0]) if pair else code


def flag_legend(code: str, lang: str | None) -> str:
    pair = FLAGS.get(code)
    return translator(lang).pgettext("flag-legend", pair[1]) if pair else ""


def meaning_name(meaning: str, lang: str | None) -> str:
    english = MEANINGS.get(meaning)
    return translator(lang).pgettext("meaning", english) if english else meaning


def direction_name(direction: str, lang: str | None) -> str:
    english = DIRECTIONS.get(direction)
    return translator(lang).pgettext("direction", english) if english else direction


def source_name(source: str, lang: str | None) -> str:
    """Where a time came from, in the reader's words (the field name kept)."""
    t = translator(lang)
    english = SOURCES.get(source)
    if english:
        return t.pgettext("source", english)
    for rx, pattern in _SOURCE_RX:
        m = rx.match(source or "")
        if m:
            return t.fill(t.pgettext("source", SOURCE_PATTERNS[pattern]), m.groupdict())
    return source


def has_source(source: str) -> bool:
    """Whether a time source has words in the tables (exactly or by pattern)."""
    return source in SOURCES or any(rx.match(source) for rx, _ in _SOURCE_RX)
