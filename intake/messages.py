"""The core's reasons in the case's language (nl, fr, en), for people.

Reasons are recorded in English in the custody log and the index (one
language for the record); the CLI shows them in the case's language. Each
reason is an English pattern whose Dutch and French words are in the gettext
catalogues (``intake/locale``, context ``reason``); the parts in braces are
translated in turn (a replica's reason inside a waiting reason).
Text no phrase matches (a plugin's own warning) is shown as it is.
"""

from __future__ import annotations

import re
from functools import cache

from .i18n import translator

#: The core's reasons as recorded (English). Their Dutch and French words are in
#: the catalogues (context ``reason``). {x} parts are matched lazily and translated
#: recursively; {n} parts are numbers, kept as they are; {kind} parts are an event's
#: kind ("photo", "call"), named as the reports name it.
REASONS: tuple[str, ...] = (
    # intake verify --chronology and --proof (chronology/verify.py): what was changed in a
    # chronology file, and the names of its entries and exhibits
    'The file is not in canonical form (RFC 8785): it differs from its canonical re-serialisation at byte {n} ({x}). It was edited after it was made.',
    'chain_head does not match the entry_hash of the last entry ({x}).',
    'The file is not a chronology: it is not a JSON object.',
    'root_hash does not match the document: {x}.',
    'every entry checks out, so the change is in the header (format, case, tool, period), the exhibit list or root_hash itself',
    'see the entries named above',
    'The file is not valid UTF-8 at byte {n} ({x}): it was damaged or edited.',
    'The file is not valid JSON at byte {n} ({x}): {x}.',
    'The file nests too deeply to be a chronology.',
    'The file holds a number that is not a plain integer at byte {n} ({x}): the chronology never writes one, so it was edited.',
    'The file holds a number that is not a plain integer: the chronology never writes one, so it was edited.',
    '{x}: its number is {x}, not {n}: entries were renumbered, removed or reordered.',
    '{x} was changed: its contents do not match its entry_hash.',
    '{x}: prev_hash must be 64 zeros (it is the first entry).',
    'The chain is broken between entry {n} and entry {n}: the prev_hash of entry {n} is not the entry_hash of entry {n}.',
    'merkle_root does not match the entry hashes: the field merkle_root was changed, or entries were added, removed or reordered.',
    'Exhibit A{n}: its number or label does not match its place in the exhibit list (number {x}, label {x}).',
    'Exhibit A{n}: its parent {x} is not in the exhibit list.',
    'Exhibit A{n}: its SHA-256 appears twice in the list.',
    '{x} names exhibit {x}, which is not in the exhibit list.',
    '{x} links to entry {x}, which does not exist.',
    '{x} must have exactly one chosen time claim.',
    '{x}: its instant is not the utc of its chosen claim.',
    'Entry {n} links to entry {n} ({x}) but entry {n} does not link back.',
    'Entry {n} is earlier than entry {n}: the entries are not in time order.',
    "Exhibit A{n} is out of order (exhibits are numbered by their first entry, then SHA-256): its SHA-256 or an entry's exhibit list was changed.",
    '{x} ({x}) is missing: no stored copy was found.',
    '{x} ({x}) could not be read: {x}.',
    "{x} is not intact: the stored copy's SHA-256 is {x}, the chronology says {x}.",
    "{x}: the chronology's {x} ({x}) does not match the stored copy ({x}): the exhibit list was edited.",
    '{x}: its number does not match its position {n}.',
    '{x}: its contents do not match its entry_hash: it was changed after the chronology was made.',
    '{x}: the proof does not lead to merkle_root {x}: the entry is not part of that chronology as shown.',
    'the proof is incomplete or malformed ({x}).',
    'Schema: {x} {x}.',
    'Entry {n} (undated)',
    'entry {n} (undated)',
    'Entry {n}',
    'entry {n}',
    'Exhibit A{n}',
    'undated entry {n}',
    # timestamps and signatures (intake/seal/): a TSA's refusal, a token that does not
    # hold, a batch's seal that was changed, a key that cannot be opened
    # several TSAs tried: each one's answer (first, so that it is split at each TSA)
    '{x}; http{x}: {x}',
    'no timestamp: {x}',
    'http{x}: {x}',
    'the server answered HTTP {n}',
    'no answer within {x} seconds',
    'cannot be reached ({x})',
    'the answer is not an RFC 3161 timestamp response',
    'the TSA refused the request ({x})',
    'the answer holds no readable timestamp token',
    'the token is over another value than the one asked for (wrong imprint)',
    'the token answers another request (its nonce differs)',
    'no time-stamping authority is configured ([seal] tsa_urls is empty)',
    'the answer is far too large for a timestamp',
    "the TSA's answer is a refusal, not a token",
    'not a timestamp token (unreadable)',
    "the TSA's key is of a kind intake cannot check",
    "the certificate {x} was not valid at the token's time ({x} UTC; valid {x} to {x})",
    "the TSA's certificate {x} does not chain to a trusted TSA CA ([seal] tsa_ca_files)",
    "the TSA's certificate chain is too long",
    'not a timestamp token (it signs something else)',
    'the token is over another value (its imprint {x} is not {x})',
    'the token must have exactly one signer',
    "the token does not carry the TSA's certificate",
    'the token uses a digest intake does not accept ({x})',
    "the token's signed data does not match its content (altered)",
    "the TSA's signature on the token does not hold (altered)",
    'the certificate {x} may not sign timestamps (no timeStamping key usage)',
    'meta/{x} (timestamp of batch {x}) is missing',
    'meta/{x} (timestamp of batch {x}) is not readable',
    'meta/{x} (timestamp of batch {x}): {x}',
    'its receipts are not those the custody log says were timestamped',
    'leaf {n} (receipt {x}, item {x}) does not match the receipt file',
    'its leaves do not give the root that was timestamped (a leaf was changed)',
    "its custody head (line {x}) is not today's custody log line {x}",
    'the timestamp token: {x}',
    "the TSA's time {x} UTC is before a receipt's time {x} UTC (this computer's clock was ahead?)",
    '{x} not written: {x}',
    '{x} not signed: {x}',
    '{x} signed without a timestamp (no TSA answered: {x})',
    '{x}: cannot be checked: no TSA CA certificate ([seal] tsa_ca_files, or --tsa-ca FILE)',
    '{x}.tsr: {x}',
    'this case has no time-stamping authority: add [seal] tsa_urls to config/intake.toml (docs/seal.md)',
    '--years {x}: allowed 1 to 30',
    '{x} exists already; choose another name',
    'the PKCS#11 token could not be used ({x}); is the card in the reader and the PIN right?',
    '{x}: cannot open the signing key (wrong passphrase, or not a PKCS#12 file)',
    '{x} is needed: set INTAKE_SIGNING_PASSPHRASE or INTAKE_PKCS11_PIN, or run the command in a terminal',
    '{x}: not a certificate (PEM or DER)',
    # a config file that is wrong (config.py): "<file>: key '<key>' <what is wrong>"
    '{x}: key {x} {x}',
    '{x}: not valid TOML ({x}); check quotes and brackets',
    '{x}: not UTF-8 text; save it as UTF-8',
    'is not known (allowed here: {x})',
    'must be a table, like [{x}]',
    'must be {x}, not {x}',
    'text in quotes',
    'a whole number',
    'a number',
    'a list like ["a", "b"]',
    'true or false',
    'is {x}, which is not a known time zone (use a name like "Europe/Brussels")',
    'is {x}; allowed: {x} to {x} seconds',
    'is {x}; allowed: 1 to {n} (the number of replicas)',
    'is {x}; allowed: 0 (no lock) to 36500',
    'is {x}; allowed: {x} to {x}',
    'is {x}; allowed: {x}',
    'must be a list of file name patterns in quotes',
    'must be one or more [[replicas]] blocks',
    'must be a [[replicas]] block',
    'is only for a replica of kind = "s3"',
    'is {x}; each replica needs its own short name',
    'is missing: say where this copy of the store lives',
    'has two replicas in the same folder; give each its own path',
    'must be a list of folder paths in quotes',
    'names {x}, which is not a folder',
    'is {x}, which is not a phone number (write it like "0468 99 01 23")',
    'must be a list of Tesseract language codes in quotes, like ["nld", "fra", "eng"] ([] turns OCR off)',
    'holds {x}, which is not an http:// or https:// address of a time-stamping authority',
    "names {x}, which is not a file (the TSA's CA certificate, PEM or DER)",
    "is empty: name the TSA's CA certificate, so that its timestamps can be checked",
    "and 'seal.pkcs11_module' are both set; use one",
    "names {x}, which is not a file (a PKCS#12 file; 'intake keys new' makes one)",
    'names {x}, which is not a file (the PKCS#11 library, e.g. libbeidpkcs11.so)',
    'is missing: name the bucket (created with Object Lock, see docs/s3.md)',
    'is {x}; write it like https://s3.example.org (empty for AWS)',
    'is {x}, which overlaps {x}: {x}; give each its own folder, neither inside the other',
    "the case's config folder {x}/",
    "the case's state folder {x}/",
    'a file dropped or stored there would run as code',
    "intake would take the case's own files as new evidence",
    "one would hold the other's files",
    # intake verify, repair, reindex (checks.py, custody.py, verified.py, against.py):
    # first, so that the general "replica {x}: {x}" and "{x}; {x}" below do not take them
    "replica {x}: custody log: {x}",
    "replica {x}: custody log differs from the other replicas' log from line {n} on",
    "replica {x}: custody log is {n} lines behind",
    "replica {x}: item {x} is missing",
    "replica {x}: item {x} is damaged (its SHA-256 no longer matches)",
    "replica {x}: metadata file meta/{x} is missing",
    "replica {x}: metadata file meta/{x} was altered or damaged",
    "replica {x}: removed {n} half-written temporary copies",
    "replica {x}: custody log restored from the healthy copies",
    "replica {x}: item {x} restored",
    "replica {x}: metadata meta/{x} restored",
    "{x}; run 'intake reindex'",
    "the index knows {n} custody lines, the log has {n}; run 'intake reindex'",
    "1 problem found; 'intake repair' fixes what a healthy copy can fix",
    "{n} problems found; 'intake repair' fixes what a healthy copy can fix",
    "1 problem found in the chronology",
    "{n} problems found in the chronology",
    "1 problem could not be repaired",
    "{n} problems could not be repaired",
    "1 thing removed or changed since {x} was made",
    "{n} things removed or changed since {x} was made",
    "item {x} has {n} good copies; {n} are required",
    "item {x}: no replica holds a good copy; it cannot be repaired",
    "the custody log is not a continuation of the one handed out: it differs from line {n} "
    "on (the handed-out log ends at line {n}, SHA-256 {x}; today's at line {n}, SHA-256 {x})",
    "custody line {x} ({x}) was changed (now line {x}; fields: {x})",
    # intake log add: a --when that cannot be used (logbook_cli.check_when)
    "--when {x} cannot be used: {x}; write it like 2024-03-01 21:15 or 1/3/2024 21:15; "
    "nothing was written",
    "the date {x} could not be read",
    "{x} is not a time of day that exists",
    "the offset {x} is not a real UTC offset",
    "the period ends before it starts",
    "it lies in the future",
    "no date is given",
    "that clock time does not exist in the case's zone (the clocks jumped forward that night)",
    "{x} happened twice that night (summer and winter time); the entry is recorded as "
    "ambiguous; add +02:00 (the first) or +01:00 (the second) to say which",
    "say what happened (--what); nothing was written",
    # the adviser's decisions and persons (intake/curation.py, curation_cli.py)
    "{x} is not a phone number intake can read (write it as 0468 99 01 23 or +32 468 99 01 23)",
    "{x} is not an e-mail address",
    "a handle cannot be empty",
    "the chronology has no entry {x} (it has {n}); see 'intake entry list'",
    "{x} is not an entry: give its id (like e-3f9a1c2b7d01, from 'intake entry list') or its "
    "number",
    "no entry has the id {x}; see 'intake entry list'",
    "{x} fits {n} entries; give more of the id",
    "no replica of the store is available: the decision cannot be kept",
    "no replica could be written: the decision was not kept",
    "name at least one entry (its id, e.g. e-3f9a1c2b7d01, or number)",
    "entry {x} is of the kind {kind}: the ombudsman request holds only calls, SMS and MMS",
    "there is no person {x}; see 'intake person list'",
    "say who this is: --role victim, suspect, witness, friend or other",
    "give a --name or at least one --phone, --email or --handle",
    # intake serve: a change while another program (the watcher) holds the case
    "another intake program (the watcher?) is working on this case, so this cannot "
    "be saved from here; stop it, or start 'intake serve --watch' instead of both",
    # OCR missing (plugins screenshots, photos, pdf_letters: docs/plugins/ocr.md)
    "the text in pictures is not read: the OCR program Tesseract is not installed (see "
    "docs/plugins/ocr.md); everything else is kept and read",
    # pictures with no time inside (plugins photos and screenshots)
    "the image holds no date or time of its own",
    "the image holds no time of its own; only the file's own times are known",
    "the name ({x}) carries no time, and the image holds none either; only the file's own "
    "times are known",
    # what the picture, video and audio readers found wrong (plugins/_imaging.py, _iptc.py)
    "{x} holds {x}, which is not a date",
    "{x} is blank or zero ({x}): the camera's clock was probably never set",
    "{x}: the time {x} is not a time; the day is kept",
    "the PNG text {x} holds {x}, which could not be read as a time",
    "the GPS position in the file could not be read",
    "the GPS position in the file is out of range",
    "the GPS date and time ({x}) could not be read",
    "the GPS time in the file could not be read",
    "the GPS date ({x}) is not a real date",
    "the camera's clock ({x}) and the GPS time ({x} UTC) are {x} apart, more than any time "
    "zone: one of them is wrong",
    "{n} days {n} h {n} min",
    "{n} h {n} min",
    "the offset written in the file ({x}) and the one the GPS time suggests ({x}) differ",
    "the EXIF block is damaged and could not be read",
    "some parts of the PNG file are damaged (checksum mismatch in {x})",
    # group commit: a replica whose barrier failed (intake/recording.py)
    "the copies just written could not be made durable ({x}); they do not count until made "
    "again",
    # a logbook CSV damaged further on (plugin logbook): what was read before stays
    "the logbook could not be read past line {n} ({x})",
    "the image is damaged or cut off: its picture could not be read in full; the times were "
    "read from what is there",
    "the image is too large to open safely; only its metadata was read",
    "the picture itself could not be opened (the file may be damaged); its metadata was read "
    "where possible",
    "the image is damaged: its structure cannot be followed",
    "the image is damaged: it has no picture data",
    "the image is damaged: its inner structure cannot be read",
    "the image is cut off (truncated): the file ends in the middle of the picture",
    "the image is cut off (truncated): the file ends before the picture data",
    "the image is cut off (truncated): the file ends before its last part",
    "{x}; the times were read from what is there",
    "the text in the picture could not be read: {x}",
    "the text in the pages could not be read: {x}",
    "the picture could not be decoded for OCR",
    "OCR took longer than {n} s ({x})",
    "Tesseract could not read the picture ({x})",
    # files kept but not read (plugins media_files and office_documents)
    "kept, not read: the sound of a recording is not transcribed; listen to it (only its "
    "length and times are read)",
    "kept, not read: the pictures and sound of a video are not looked at; watch it (only its "
    "length and times are read)",
    "kept, not read: the audio or video container could not be read (damaged, or a kind "
    "mutagen does not know)",
    "kept, not read: the text of an office document is not read yet; open it (only its "
    "properties are read: created, modified, author)",
    "the movie header (mvhd) holds local time, not UTC as the MP4 standard says; the time "
    "in Apple's creation date is used",
    'the file disappeared before it could be read',
    'the file cannot be looked at ({x})',
    'this is a shortcut (symbolic link) to another file; shortcuts are not followed: drop the file itself',
    'this is a pipe or socket, not a file; there is nothing to store',
    'this is a device or special file, not a document',
    'no replica of the store is available ({x})',
    'the file cannot be read ({x}); it was left where it is',
    'reading the file failed ({x}); it was left where it is',
    'the file changed while it was being copied; it will be taken when it is stable',
    '{n} of {n} copies made; the file stays in the inbox until the other replicas are available ({x})',
    'stored, but could not be moved to ingested/ ({x})',
    'the file in the inbox was replaced by another one before it could be moved; the version received is stored, the new one is taken as a new drop',
    "stored, but inbox/ingested/ cannot be made yet: a file named 'ingested' is in the way until it is stored itself",
    'skipped: the name matches inbox.ignore pattern {x}',
    'the name looks like a file still being written ({x}); it is taken once unchanged for {x} s ({x})',
    'in about {n} minutes',
    'at the next run',
    'this folder cannot be read ({x}); the files in it cannot be taken until it can',
    'this folder cannot be read ({x})',
    'dropped into inbox/ingested/, where intake only puts originals it has stored; it is not taken there: move it to the inbox',
    "not taken yet: the watcher takes it, or the next 'intake ingest'",
    'not extracted yet: {x}; tried again at the next start',
    'not extracted yet: waiting for the plugins',
    'the plugin worker stopped before any plugin ran',
    'the plugin worker did not start in time',
    'the plugin worker could not be started ({x})',
    'the disk holding the case is full; nothing was lost (every file not stored yet is still in the inbox, every copy made is verified): free some space and run the command again',
    # what the plugin host, the extraction record and the built-in plugins warn about
    # (intake/extract.py, plugin_worker.py, ingest/extraction.py, plugins/*.py): shown in
    # the HTML and PDF reports, `intake status` and the workspace
    'plugin {x} failed: {x}',
    'plugin {x} took longer than {x} s and was stopped',
    'plugin {x} crashed its worker process',
    'plugin {x} {x}; ignored',
    'returned {x}, not an Extraction',
    'event {n} is a {x}, not an Event; left out',
    'event {n}: a time claim of type {x} was left out',
    'event {n}: time {x} from {x} could not be read ({x})',
    'event {n}: facts were not plain JSON values and were left out',
    'a derived item without bytes was left out',
    'item facts were not plain JSON values and were left out',
    'not taken: {n} of {n} embedded files, reason: more than {n} in one file (the limit per file); they stay inside the stored original',
    'embedded files nested deeper than {n} levels were not unpacked',
    'embedded file {x} could not be stored',
    'the mailbox holds {n} messages; only the first {n} were read',
    'the Outlook message has no sent time: it may be a draft that was never sent',
    'the message is nested more than {n} levels deep; only its headers were read',
    'the message is nested more than {n} levels deep; the parts below that level were not read',
    'the message could not be read: {x}',
    'the Date header {x} is not well formed: {x}',
    'the message has {n} Date headers; the first is used',
    'the attachment {x} could not be decoded',
    'an attached message could not be read',
    'an attached message has a broken encoding; it is kept as written',
    'attachment {n} ({x}) could not be extracted',
    'no name',
    'the logbook has no entries yet',
    'the entry id {x} is used {n} times in this file',
    'entry {x}: no date is given for when it happened',
    'entry {x}: the category {x} is not one intake knows; the adviser can set it',
    'the PDF was changed after it was first saved: it holds {n} revisions; the earlier ones are kept as evidence',
    'the PDF has errors; they were repaired while reading: {x}',
    'the PDF could not be read: pikepdf is not installed',
    'the PDF is protected with a password; its dates could not be read',
    'the PDF is damaged and could not be opened: {x}',
    'the PDF could not be opened: {x}',
    'the pages could not be counted: {x}',
    'the document information could not be read: {x}',
    'the XMP metadata could not be read: {x}',
    'the XMP metadata is not well-formed XML and was not read: {x}',
    'the backup says it holds {n} records, but {n} were found',
    '{n} record(s) have their date in seconds instead of milliseconds (flag date-in-seconds); they were read as seconds',
    '{n} record(s) have no readable date',
    '{n} record(s) were recovered from the damaged part; check them by hand (flag recovered-from-damaged-file)',
    'the backup file is cut off or damaged after record {n}; the records before that point were read',
    'the backup file names a character encoding that does not exist ({x}); its records were read as UTF-8 where possible',
    'the attachment {x} of MMS {x} is damaged (its data is not valid base64) and could not be kept as a separate file',
    '{n} line(s) before the first message could not be read as messages',
    'the chat mixes day-first and month-first dates; each date was read the way its numbers allow, day first where both are possible',
    "{n} message time(s) like '00:08 AM' do not exist on a 12-hour clock; they were read as 00:08 (flag impossible-12h-time)",
    '{n} message date(s) do not exist in the calendar and have no time',
    'some characters of the chat could not be read as UTF-8 and were replaced by �',
    'ambiguous-date-order: the dates of this chat could be read day first or month first; they were read {x} because of {x}',
    'day first',
    'month first',
    'message order',
    'dots or dashes in the dates',
    'Dutch, French or German words in the chat',
    'an English phone with an AM/PM clock',
    "the case's (Belgian) habit of writing the day first",
    'the file {x} in the zip was not unpacked: {x}',
    'the file {x} in the zip is damaged and could not be unpacked ({x})',
    'replica {x}: {x}',
    '{x}; {x}',
    'no copy yet',
    'the replica is full',
    "the replica's quota is used up",
    'the replica is read-only',
    'no permission to write in the replica',
    "the replica's folder disappeared (unplugged?)",
    'its folder is not there (unplugged or not mounted?)',
    "the replica's disk reported an input/output error",
    # a replica that cannot be used (store.py, case.py) or whose log lags (custody.py)
    "the replica's device is gone",
    'the replica could not be written ({x})',
    'its folder disappeared (unplugged?)',
    'it belongs to another case ({x})',
    'its REPLICA.json cannot be read ({x})',
    'cannot be used ({x})',
    'could not be written ({x})',
    'could not catch up ({x})',
    "differs from the other replicas' log",
    # a replica in an S3 bucket (intake/s3.py, docs/s3.md)
    "no credentials for the storage service (set them in the environment or an AWS profile, "
    "never in the config)",
    "the storage service {x} cannot be reached",
    "the storage service refused the credentials ({x})",
    "the storage service refused access (check the credentials and the bucket's policy)",
    "the bucket {x} does not exist",
    "the storage service asks to slow down (throttled) and is tried again later",
    "the bucket's quota is used up",
    "the storage service answered {x}",
    "the storage service failed ({x})",
    "the storage service reports another checksum than the bytes sent, so the copy "
    "does not count",
    "the storage service reports another checksum for a part than the bytes sent",
    "the bytes read do not have the SHA-256 they are stored under",
    "the bucket {x} has no versioning, so it cannot hold locked copies (create it "
    "with Object Lock, docs/s3.md)",
    "no bucket is named in the config",
    "the s3 kind needs boto3: pip install 'intake[s3]'",
    'the file is empty (0 bytes)',
    'no plugin could read this file; it is stored and listed',
    # where the copies are (intake/devices.py): every replica on one device
    "{x} on this computer's disk. If the computer is lost or broken, the evidence is lost "
    "too. Add a USB stick or an archive (see docs/configuration.md).",
    "{x} on one disk ({x}). If that disk is lost or broken, the evidence is lost too. "
    "Add a USB stick or an archive (see docs/configuration.md).",
    "Both copies are",
    "All {n} copies are",
    "The only copy is",
    # intake verify, repair, reindex: the rest (last: some begin with a bare {x})
    "{n} of {n} items verified",
    "not available: {x}",
    "the index knows item {x}, which the custody log does not record: it was cut from the "
    "log, or the index was edited",
    "index rebuilt from the metadata files the custody log vouches for",
    "the index holds a {x} that the verified evidence does not have",
    "the index lacks the {x}",
    "the index's {x} differs from the verified evidence: {x}",
    "receipt {x} of item {x}",
    "the expected hash of meta/{x}",
    "item of item {x}",
    "origin of item {x}",
    "extraction of item {x}",
    "event of item {x}",
    "adviser's decision of item {x}",
    "adviser's curation record at custody line {x}",
    "no replica is available",
    "replica {x} is not available",
    # the custody log's chain (custody.py) and the head records (heads.py)
    "the custody log cannot be read ({x})",
    "{x} does not start at line {n} (a segment is missing or was renamed)",
    "{x}: the last line is cut off",
    "{x}: line {n} is not valid JSON (altered or damaged)",
    "{x}: line {n} does not link to line {n} (a line was altered, removed or inserted)",
    "{x}: line {n} has sequence number {x}",
    "{x} cannot be read ({x})",
    "the custody log has {n} lines, but {x}: {n} lines were cut off or the log was rewritten",
    "line {n} of the custody log is not the one recorded ({x}): the log was rewritten from "
    "that line or earlier",
    "line {n} (SHA-256 {x}) was recorded by {x}, last on {x}",
    "line {n} (SHA-256 {x}) was recorded by {x}",
    "this computer ({x}), {x}",
    "this computer ({x})",
    "replica {x} ({x}), {x}",
    "replica {x} ({x})",
    # intake verify --against (against.py)
    "custody line {x} ({x}) was removed",
    "{x} of the chronology handed out is gone: no stored item gives it any more",
    "{x} of the chronology handed out was changed: today the evidence gives another {x} "
    "(entry {x})",
    "item {x} was in the custody log handed out and is no longer recorded",
    "{x} is no longer recorded in the custody log",
    "{x}: no replica holds it any more",
    "the proof is for another chronology: its Merkle root {x} is not {x}",
    # last: a logbook entry's problem (plugins/logbook.py), any text after "entry …:"
    'entry {x}: {x}',
)

def _compile(pattern: str) -> re.Pattern[str]:
    out = []
    for part in re.split(r"(\{x\}|\{n\}|\{kind\})", pattern):
        if part in ("{x}", "{kind}"):
            out.append("(.+?)")
        elif part == "{n}":
            out.append(r"(\d+)")
        else:
            out.append(re.escape(part))
    return re.compile("".join(out) + r"\Z", re.S)


#: the reasons with no {x}/{n}/{kind} part: their words are found without any pattern
_PLAIN = frozenset(en for en in REASONS if "{" not in en)
#: each reason's text before its first part: a pattern is tried (and compiled) only
#: for a text that starts with it, so showing one reason compiles a few patterns,
#: not all 200 (about 0.07 s of every default-case ingest, for its one-device warning)
_PREFIXES = tuple(en.split("{", 1)[0] for en in REASONS)
#: each reason's longest piece of its own words: a text without it cannot match, so
#: the many reasons that begin with a part ("{x} was changed: …") are not compiled
#: and tried for every text
_PIECES = tuple(max(re.split(r"\{x\}|\{n\}|\{kind\}", en), key=len) for en in REASONS)


@cache
def _pattern(i: int) -> re.Pattern[str]:
    """The pattern of ``REASONS[i]``, compiled the first time a text may match it."""
    return _compile(REASONS[i])


def _fill(template: str, groups: tuple[str, ...], language: str) -> str:
    values = iter(groups)

    def sub(m: re.Match[str]) -> str:
        value = next(values)
        if m.group() == "{kind}":
            from .reports.labels import kind_name

            return kind_name(value, language)
        return value if m.group() == "{n}" else translate(value, language)

    return re.sub(r"\{x\}|\{n\}|\{kind\}", sub, template)


def translate(text: str, language: str) -> str:
    """`text` (one of the core's English reasons) in `language`; unknown text as is."""
    if language not in ("nl", "fr"):
        return text
    if text in _PLAIN:  # a reason without parts has its own words, whole
        return translator(language).pgettext("reason", text)
    return _by_pattern(text, language)


def _by_pattern(text: str, language: str) -> str:
    t = translator(language)
    for i, en in enumerate(REASONS):
        if text.startswith(_PREFIXES[i]) and _PIECES[i] in text:
            m = _pattern(i).match(text)
            if m:
                return _fill(t.pgettext("reason", en), m.groups(), language)
    return text
