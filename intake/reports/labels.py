"""Words and formats for the reports (PDF for the police, ombudsman list, bundle).

Dutch is the default; French and English on request. Every string the
reports print comes from here, so a translator edits one file. Keys missing
in a language fall back to Dutch.
"""

from __future__ import annotations

import re

LANGUAGES = ("nl", "fr", "en")
DEFAULT = "nl"

_NL: dict[str, str] = {
    # PDF for the police
    "title": "Chronologie van feiten",
    "subtitle": "Belaging: overzicht van de feiten en de bewijsstukken",
    "case": "Dossier",
    "period": "Periode",
    "period_open": "heden",
    "generated": "Opgemaakt op",
    "tool": "Opgemaakt met",
    "timezone": "Tijdzone",
    "root_hash": "Roothash van de chronologie",
    "merkle_root": "Merkle-root (voor bewijs van één feit)",
    "json_sha256": "SHA-256 van chronology.json",
    "page": "Blz.",
    "summary": "Samenvatting",
    "n_entries": "Feiten met datum",
    "n_undated": "Feiten zonder datum",
    "n_exhibits": "Bewijsstukken",
    "n_incidents": "Incidenten (zonder uitgaande oproepen en berichten)",
    "first_last": "Eerste en laatste feit",
    "by_kind": "Per soort",
    "chart_week": "Incidenten per week (ISO-week, lokale datum)",
    "chart_month": "Incidenten per maand (lokale datum)",
    "chart_peak": "Hoogste aantal",
    "chart_last4": "Laatste 4 weken",
    "chart_first4": "Eerste 4 weken",
    "pv_title": "Eerdere processen-verbaal",
    "pv_number": "PV-nummer",
    "pv_none": "Geen eerdere PV-nummers vermeld in het logboek.",
    "chronology": "Chronologie",
    "col_nr": "Nr.",
    "col_date": "Datum",
    "col_time": "Uur (met UTC-verschil)",
    "col_what": "Wat",
    "col_source": "Bron van het tijdstip",
    "col_exhibits": "Stuk",
    "col_witnesses": "Getuigen",
    "undated": "Feiten zonder leesbaar tijdstip",
    "flags": "Opmerking",
    "exhibit_index": "Inventaris van de bewijsstukken",
    "col_label": "Stuk",
    "col_sha256": "SHA-256",
    "col_size": "Grootte (bytes)",
    "col_type": "Soort",
    "col_name": "Oorspronkelijke naam",
    "col_attached": "Bijgevoegd",
    "yes": "ja",
    "no": "nee",
    "not_attached": "Deze stukken konden niet aan de PDF worden toegevoegd (geen goede kopie beschikbaar):",
    "all_attached": "Alle stukken zijn als bijlage in deze PDF opgenomen (PDF/A-3).",
    "thumbnails": "Foto's en schermafbeeldingen",
    "verify": "Hoe controleert u dit document?",
    "verify_intro": "Elk bewijsstuk wordt aangeduid met zijn SHA-256-vingerafdruk. Wijzigt er één byte, dan verandert de vingerafdruk volledig. U kunt dit nagaan met standaardprogramma's, zonder deze software te vertrouwen.",
    "verify_step1": "Haal de bijlagen uit deze PDF: in Adobe Reader of een andere PDF-lezer via het paperclip-paneel (Bijlagen), of op de opdrachtregel met",
    "verify_step2": "Bereken de vingerafdruk van elk stuk en vergelijk met de inventaris hierboven:",
    "verify_step3": "chronology.json (ook als bijlage) is de volledige, machineleesbare chronologie. Zijn vingerafdruk staat op de eerste bladzijde:",
    "verify_step4": "Met de software zelf: de eerste opdracht controleert chronology.json op zich (de vingerafdruk van elk feit, de keten, de Merkle-root en de roothash); de tweede, in de map van het dossier, herberekent ook de vingerafdruk van elk bewaard stuk en de keten van het bewaringslogboek:",
    "verify_bundle": "Wie de bewijsbundel (zip) ontving, controleert alles in één keer in de uitgepakte map met:",
    "verify_chars": "Tekens die de lettertypes van deze PDF niet kunnen tonen (bv. emoji), staan hier als [U+XXXX]; de exacte tekst staat in chronology.json.",
    "signatures": "Handtekeningen",
    "signatures_intro": "Voor echt en volledig verklaard.",
    "sig_victim": "Slachtoffer",
    "sig_adviser": "Begeleider / hulpverlener",
    "sig_name": "Naam",
    "sig_date": "Datum en plaats",
    "sig_signature": "Handtekening",
    "missing_exhibit": "niet beschikbaar",
    "attach_exhibit": "Bewijsstuk",
    "attach_json": "Volledige chronologie (canonieke JSON)",
    # ombudsman
    "omb_title": "Lijst van ongewenste oproepen en berichten",
    "omb_for": "Voor de Ombudsman voor telecommunicatie",
    "omb_intro": "Inkomende, gemiste, geweigerde en geblokkeerde oproepen en ontvangen berichten, in chronologische volgorde. Uren in lokale tijd; het verschil met UTC staat erbij.",
    "omb_official": "",
    "omb_count_calls": "Oproepen",
    "omb_count_msgs": "Berichten",
    "omb_count_withheld": "Van een verborgen nummer",
    "omb_empty": "Geen ongewenste oproepen of berichten in de chronologie.",
    "omb_exhibits_note": "De stukken verwijzen naar de inventaris in de chronologie (chronology.pdf / chronology.json).",
    "col_utc_offset": "UTC-verschil",
    "col_kind": "Soort",
    "col_number": "Nummer",
    "col_duration": "Duur (s)",
    "col_content": "Inhoud",
    "col_rings": "Beltonen",
    "col_exhibit": "Stuk",
    "withheld": "anoniem",
    "kind_call": "oproep",
    "kind_sms": "sms",
    "kind_mms": "mms",
    "dir_incoming": "inkomend",
    "dir_missed": "gemist",
    "dir_rejected": "geweigerd",
    "dir_blocked": "geblokkeerd",
    "dir_voicemail": "voicemail",
    # bundle README
    "readme": (
        "BEWIJSBUNDEL - {case}\n"
        "\n"
        "Opgemaakt op {generated} met intake {version}.\n"
        "Roothash van de chronologie: {root_hash}\n"
        "\n"
        "Inhoud van deze map:\n"
        "  chronology.pdf     de chronologie voor de politie en het parket (PDF/A-3,\n"
        "                     met de bewijsstukken als bijlage)\n"
        "  chronology.json    dezelfde chronologie, volledig en machineleesbaar\n"
        "  custody-log.jsonl  het bewaringslogboek: wie wat ontving, bewaarde, las en\n"
        "                     rapporteerde, en wanneer (elke regel bevat de\n"
        "                     vingerafdruk van de vorige)\n"
        "  exhibits/          elk origineel bewijsstuk, genoemd naar zijn nummer en\n"
        "                     zijn SHA-256-vingerafdruk\n"
        "  SHA256SUMS         de vingerafdruk van elk bestand hierboven\n"
        "\n"
        "Controle (Linux, macOS; Windows: WSL of Git Bash), in deze map:\n"
        "\n"
        "  sha256sum -c SHA256SUMS\n"
        "\n"
        "Elke regel moet eindigen op OK. Op macOS zonder coreutils:\n"
        "  shasum -a 256 -c SHA256SUMS\n"
        "De naam van elk stuk bevat zijn vingerafdruk; die moet ook overeenkomen met\n"
        "de inventaris in chronology.pdf.\n"
    ),
    "readme_missing": "Niet in deze bundel (geen goede kopie beschikbaar): {labels}\n",
}

_FR: dict[str, str] = {
    "title": "Chronologie des faits",
    "subtitle": "Harcèlement : relevé des faits et des pièces",
    "case": "Dossier",
    "period": "Période",
    "period_open": "ce jour",
    "generated": "Établi le",
    "tool": "Établi avec",
    "timezone": "Fuseau horaire",
    "root_hash": "Empreinte racine de la chronologie",
    "merkle_root": "Racine de Merkle (preuve d'un seul fait)",
    "json_sha256": "SHA-256 de chronology.json",
    "page": "Page",
    "summary": "Résumé",
    "n_entries": "Faits datés",
    "n_undated": "Faits sans date",
    "n_exhibits": "Pièces",
    "n_incidents": "Incidents (hors appels et messages sortants)",
    "first_last": "Premier et dernier fait",
    "by_kind": "Par type",
    "chart_week": "Incidents par semaine (semaine ISO, date locale)",
    "chart_month": "Incidents par mois (date locale)",
    "chart_peak": "Maximum",
    "chart_last4": "4 dernières semaines",
    "chart_first4": "4 premières semaines",
    "pv_title": "Procès-verbaux antérieurs",
    "pv_number": "Numéro de PV",
    "pv_none": "Aucun numéro de PV antérieur mentionné dans le journal.",
    "chronology": "Chronologie",
    "col_nr": "N°",
    "col_date": "Date",
    "col_time": "Heure (décalage UTC)",
    "col_what": "Quoi",
    "col_source": "Source de l'heure",
    "col_exhibits": "Pièce",
    "col_witnesses": "Témoins",
    "undated": "Faits sans heure lisible",
    "flags": "Remarque",
    "exhibit_index": "Inventaire des pièces",
    "col_label": "Pièce",
    "col_sha256": "SHA-256",
    "col_size": "Taille (octets)",
    "col_type": "Type",
    "col_name": "Nom d'origine",
    "col_attached": "Jointe",
    "yes": "oui",
    "no": "non",
    "not_attached": "Ces pièces n'ont pas pu être jointes au PDF (aucune copie valide disponible) :",
    "all_attached": "Toutes les pièces sont jointes à ce PDF (PDF/A-3).",
    "thumbnails": "Photos et captures d'écran",
    "verify": "Comment vérifier ce document ?",
    "verify_intro": "Chaque pièce est désignée par son empreinte SHA-256. Si un seul octet change, l'empreinte change entièrement. Vous pouvez le vérifier avec des outils standard, sans faire confiance à ce logiciel.",
    "verify_step1": "Extrayez les pièces jointes de ce PDF : dans Adobe Reader ou un autre lecteur PDF via le panneau trombone (Pièces jointes), ou en ligne de commande avec",
    "verify_step2": "Calculez l'empreinte de chaque pièce et comparez-la à l'inventaire ci-dessus :",
    "verify_step3": "chronology.json (également joint) est la chronologie complète, lisible par machine. Son empreinte figure en première page :",
    "verify_step4": "Avec le logiciel lui-même : la première commande vérifie chronology.json seul (l'empreinte de chaque fait, la chaîne, la racine de Merkle et l'empreinte racine) ; la seconde, dans le dossier de l'affaire, recalcule aussi l'empreinte de chaque pièce conservée et la chaîne du journal de conservation :",
    "verify_bundle": "Qui a reçu le paquet de preuves (zip) vérifie tout en une fois, dans le dossier décompressé, avec :",
    "verify_chars": "Les caractères que les polices de ce PDF ne peuvent pas afficher (p. ex. emoji) sont notés [U+XXXX] ; le texte exact se trouve dans chronology.json.",
    "signatures": "Signatures",
    "signatures_intro": "Certifié sincère et complet.",
    "sig_victim": "Victime",
    "sig_adviser": "Accompagnateur / intervenant",
    "sig_name": "Nom",
    "sig_date": "Date et lieu",
    "sig_signature": "Signature",
    "missing_exhibit": "non disponible",
    "attach_exhibit": "Pièce",
    "attach_json": "Chronologie complète (JSON canonique)",
    "omb_title": "Liste des appels et messages non désirés",
    "omb_for": "Pour le Service de médiation pour les télécommunications",
    "omb_intro": "Appels entrants, manqués, refusés et bloqués et messages reçus, par ordre chronologique. Heures locales, avec le décalage UTC.",
    "omb_official": "",
    "omb_count_calls": "Appels",
    "omb_count_msgs": "Messages",
    "omb_count_withheld": "D'un numéro masqué",
    "omb_empty": "Aucun appel ni message non désiré dans la chronologie.",
    "omb_exhibits_note": "Les pièces renvoient à l'inventaire de la chronologie (chronology.pdf / chronology.json).",
    "col_utc_offset": "Décalage UTC",
    "col_kind": "Type",
    "col_number": "Numéro",
    "col_duration": "Durée (s)",
    "col_content": "Contenu",
    "col_rings": "Sonneries",
    "col_exhibit": "Pièce",
    "withheld": "masqué",
    "kind_call": "appel",
    "kind_sms": "SMS",
    "kind_mms": "MMS",
    "dir_incoming": "entrant",
    "dir_missed": "manqué",
    "dir_rejected": "refusé",
    "dir_blocked": "bloqué",
    "dir_voicemail": "messagerie vocale",
    "readme": (
        "PAQUET DE PREUVES - {case}\n"
        "\n"
        "Établi le {generated} avec intake {version}.\n"
        "Empreinte racine de la chronologie : {root_hash}\n"
        "\n"
        "Contenu de ce dossier :\n"
        "  chronology.pdf     la chronologie pour la police et le parquet (PDF/A-3,\n"
        "                     pièces jointes)\n"
        "  chronology.json    la même chronologie, complète et lisible par machine\n"
        "  custody-log.jsonl  le journal de conservation : qui a reçu, conservé, lu et\n"
        "                     rapporté quoi, et quand (chaque ligne contient\n"
        "                     l'empreinte de la précédente)\n"
        "  exhibits/          chaque pièce originale, nommée d'après son numéro et son\n"
        "                     empreinte SHA-256\n"
        "  SHA256SUMS         l'empreinte de chaque fichier ci-dessus\n"
        "\n"
        "Vérification (Linux, macOS ; Windows : WSL ou Git Bash), dans ce dossier :\n"
        "\n"
        "  sha256sum -c SHA256SUMS\n"
        "\n"
        "Chaque ligne doit se terminer par OK. Sur macOS sans coreutils :\n"
        "  shasum -a 256 -c SHA256SUMS\n"
        "Le nom de chaque pièce contient son empreinte ; elle doit aussi correspondre à\n"
        "l'inventaire de chronology.pdf.\n"
    ),
    "readme_missing": "Absentes de ce paquet (aucune copie valide disponible) : {labels}\n",
}

_EN: dict[str, str] = {
    "title": "Chronology of events",
    "subtitle": "Stalking: statement of facts and exhibits",
    "case": "Case",
    "period": "Period",
    "period_open": "present",
    "generated": "Generated",
    "tool": "Generated with",
    "timezone": "Time zone",
    "root_hash": "Chronology root hash",
    "merkle_root": "Merkle root (to prove one entry)",
    "json_sha256": "SHA-256 of chronology.json",
    "page": "Page",
    "summary": "Summary",
    "n_entries": "Dated events",
    "n_undated": "Undated events",
    "n_exhibits": "Exhibits",
    "n_incidents": "Incidents (outgoing calls and messages excluded)",
    "first_last": "First and last event",
    "by_kind": "By kind",
    "chart_week": "Incidents per week (ISO week, local date)",
    "chart_month": "Incidents per month (local date)",
    "chart_peak": "Peak",
    "chart_last4": "Last 4 weeks",
    "chart_first4": "First 4 weeks",
    "pv_title": "Earlier police reports",
    "pv_number": "Report (PV) number",
    "pv_none": "No earlier police report numbers recorded in the logbook.",
    "chronology": "Chronology",
    "col_nr": "No.",
    "col_date": "Date",
    "col_time": "Time (UTC offset)",
    "col_what": "What",
    "col_source": "Source of the time",
    "col_exhibits": "Exhibit",
    "col_witnesses": "Witnesses",
    "undated": "Events with no readable time",
    "flags": "Note",
    "exhibit_index": "Index of exhibits",
    "col_label": "Exhibit",
    "col_sha256": "SHA-256",
    "col_size": "Size (bytes)",
    "col_type": "Type",
    "col_name": "Original name",
    "col_attached": "Attached",
    "yes": "yes",
    "no": "no",
    "not_attached": "These exhibits could not be attached to the PDF (no good copy available):",
    "all_attached": "Every exhibit is attached to this PDF (PDF/A-3).",
    "thumbnails": "Photos and screenshots",
    "verify": "How to verify this document",
    "verify_intro": "Every exhibit is named by its SHA-256 fingerprint. If a single byte changes, the fingerprint changes completely. You can check this with standard tools, without trusting this software.",
    "verify_step1": "Extract the attachments from this PDF: in Adobe Reader or another PDF reader from the paperclip (Attachments) panel, or on the command line with",
    "verify_step2": "Compute each exhibit's fingerprint and compare it with the index above:",
    "verify_step3": "chronology.json (also attached) is the complete, machine-readable chronology. Its fingerprint is on the first page:",
    "verify_step4": "With the software itself: the first command checks chronology.json on its own (every entry's hash, the chain, the Merkle root and the root hash); the second, in the case folder, also recomputes the fingerprint of every stored exhibit and the custody log's chain:",
    "verify_bundle": "Whoever received the evidence bundle (zip) checks everything at once, in the extracted folder, with:",
    "verify_chars": "Characters the fonts of this PDF cannot show (e.g. emoji) are written as [U+XXXX]; the exact text is in chronology.json.",
    "signatures": "Signatures",
    "signatures_intro": "Certified true and complete.",
    "sig_victim": "Victim",
    "sig_adviser": "Adviser / support worker",
    "sig_name": "Name",
    "sig_date": "Date and place",
    "sig_signature": "Signature",
    "missing_exhibit": "not available",
    "attach_exhibit": "Exhibit",
    "attach_json": "Complete chronology (canonical JSON)",
    "omb_title": "List of unwanted calls and messages",
    "omb_for": "For the Belgian Ombudsman for Telecommunications",
    "omb_intro": "Incoming, missed, rejected and blocked calls and received messages, in chronological order. Local times, with the UTC offset.",
    "omb_official": "The ombudsman's official languages are Dutch and French: this English version is for information; submit the nl or fr version.",
    "omb_count_calls": "Calls",
    "omb_count_msgs": "Messages",
    "omb_count_withheld": "From a withheld number",
    "omb_empty": "No unwanted calls or messages in the chronology.",
    "omb_exhibits_note": "Exhibit labels refer to the index in the chronology (chronology.pdf / chronology.json).",
    "col_utc_offset": "UTC offset",
    "col_kind": "Type",
    "col_number": "Number",
    "col_duration": "Duration (s)",
    "col_content": "Content",
    "col_rings": "Rings",
    "col_exhibit": "Exhibit",
    "withheld": "withheld",
    "kind_call": "call",
    "kind_sms": "SMS",
    "kind_mms": "MMS",
    "dir_incoming": "incoming",
    "dir_missed": "missed",
    "dir_rejected": "rejected",
    "dir_blocked": "blocked",
    "dir_voicemail": "voicemail",
    "readme": (
        "EVIDENCE BUNDLE - {case}\n"
        "\n"
        "Generated {generated} with intake {version}.\n"
        "Chronology root hash: {root_hash}\n"
        "\n"
        "What is in this folder:\n"
        "  chronology.pdf     the chronology for police and prosecutor (PDF/A-3, with\n"
        "                     the exhibits attached)\n"
        "  chronology.json    the same chronology, complete and machine-readable\n"
        "  custody-log.jsonl  the custody log: who received, stored, read and reported\n"
        "                     what, and when (each line carries the fingerprint of the\n"
        "                     one before)\n"
        "  exhibits/          every original exhibit, named by its number and its\n"
        "                     SHA-256 fingerprint\n"
        "  SHA256SUMS         the fingerprint of every file above\n"
        "\n"
        "To check (Linux, macOS; Windows: WSL or Git Bash), in this folder:\n"
        "\n"
        "  sha256sum -c SHA256SUMS\n"
        "\n"
        "Every line must end in OK. On macOS without coreutils:\n"
        "  shasum -a 256 -c SHA256SUMS\n"
        "Each exhibit's name holds its fingerprint; it must also match the index in\n"
        "chronology.pdf.\n"
    ),
    "readme_missing": "Not in this bundle (no good copy available): {labels}\n",
}

_ALL = {"nl": _NL, "fr": _FR, "en": _EN}


def language(lang: str | None) -> str:
    """The report language for a requested one: nl, fr or en; anything else is nl."""
    code = (lang or "").strip().lower().replace("_", "-").split("-")[0]
    return code if code in _ALL else DEFAULT


def labels(lang: str | None) -> dict[str, str]:
    """Every label in `lang`, Dutch where a translation is missing."""
    return {**_NL, **_ALL[language(lang)]}


_KIND_NAMES = {
    "nl": {"photo": "foto", "screenshot": "schermafbeelding", "email": "e-mail",
           "letter": "brief", "message": "chatbericht", "sms": "sms", "mms": "mms",
           "call": "oproep", "logbook": "logboek", "file": "bestand"},
    "fr": {"photo": "photo", "screenshot": "capture d'écran", "email": "e-mail",
           "letter": "lettre", "message": "message de chat", "sms": "SMS", "mms": "MMS",
           "call": "appel", "logbook": "journal", "file": "fichier"},
    "en": {"photo": "photo", "screenshot": "screenshot", "email": "e-mail",
           "letter": "letter", "message": "chat message", "sms": "SMS", "mms": "MMS",
           "call": "call", "logbook": "logbook", "file": "file"},
}


def kind_name(kind: str, lang: str | None) -> str:
    return _KIND_NAMES[language(lang)].get(kind, kind)


_LOCAL = re.compile(
    r"^(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})"
    r"(?:[T ](?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?)?"
    r"(?P<off>Z|[+-]\d{2}:?\d{2})?$"
)


def split_local(local: str, granularity: str = "second") -> tuple[str, str, str]:
    """`2024-07-01T23:30:05+02:00` -> ("2024-07-01", "23:30:05", "+02:00").

    The time is cut to what the granularity allows (day: no time; minute:
    HH:MM; second and finer: HH:MM:SS). Unreadable input gives ("", "", "").
    """
    m = _LOCAL.match((local or "").strip())
    if not m:
        return "", "", ""
    date = f"{m['y']}-{m['m']}-{m['d']}"
    time = ""
    if m["H"] is not None and granularity != "day":
        time = f"{m['H']}:{m['M']}"
        if granularity not in ("minute", "hour") and m["S"] is not None:
            time += f":{m['S']}"
    off = m["off"] or ""
    if off == "Z":
        off = "+00:00"
    elif off and ":" not in off:
        off = f"{off[:3]}:{off[3:]}"
    return date, time, off if time else ""


def format_date(iso_date: str, lang: str | None) -> str:
    """ISO date in the reader's form: 01/07/2024 for nl and fr, 2024-07-01 for en."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", iso_date or ""):
        return iso_date or ""
    if language(lang) == "en":
        return iso_date
    y, m, d = iso_date.split("-")
    return f"{d}/{m}/{y}"
