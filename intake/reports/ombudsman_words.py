"""Words of the ombudsman request and of curation in the police report (nl, fr, en).

Kept in this one small table until the gettext catalogues (intake/i18n.py)
take them over; French typography: a narrow no-break space before ``:`` and ``;``.
The Ombudsdienst voor Telecommunicatie / Service de médiation pour les
télécommunications works in Dutch and French; English is for information.
"""

from __future__ import annotations

NNBSP = "\u202f"

WORDS: dict[str, dict[str, str]] = {
    "nl": {
        "title": "Verzoek tot identificatie van de oproeper bij kwaadwillige oproepen",
        "to": "Aan de Ombudsdienst voor Telecommunicatie",
        "requester": "Aanvrager",
        "name": "Naam",
        "address": "Adres",
        "phone": "Nummer waarop de oproepen en berichten binnenkwamen",
        "operator": "Operator",
        "pv": "Proces-verbaal (PV-nummer)",
        "police_zone": "Politiezone",
        "date": "Datum van het verzoek",
        "intro": ("Ik verzoek de Ombudsdienst voor Telecommunicatie de identiteit mee te delen "
                  "van wie mij de hieronder vermelde ongewenste oproepen en berichten stuurde. "
                  "Ik heb bij de politie klacht ingediend (zie het PV-nummer hierboven). De lijst "
                  "komt uit de oproep- en berichtenlijst van mijn telefoon; de uren zijn Belgische "
                  "tijd, tot op de seconde."),
        "list": "Oproepen en berichten",
        "selection": ("In de lijst: inkomende oproepen en berichten van een verborgen of "
                      "onbekend nummer en van de nummers van de verdachte, en wat de "
                      "begeleider met de hand toevoegde. Oproepen en berichten van vrienden en "
                      "familie staan er niet in."),
        "rings_note": ("Beltonen: de telefoon bewaart de duur van een oproep, niet het aantal "
                       "beltonen. Vul deze kolom zelf in waar u het weet; een schatting "
                       "vermeldt u als schatting."),
        "col_nr": "Nr.", "col_date": "Datum", "col_time": "Uur", "col_number": "Nummer",
        "col_kind": "Soort", "col_status": "Status", "col_duration": "Duur (min:s)",
        "col_rings": "Beltonen", "col_description": "Omschrijving", "col_exhibit": "Stuk",
        "withheld": "anoniem",
        "kind_call": "oproep", "kind_sms": "sms", "kind_mms": "mms",
        "st_incoming": "beantwoord", "st_missed": "gemist", "st_rejected": "geweigerd",
        "st_blocked": "geblokkeerd", "st_voicemail": "voicemail",
        "st_answered-externally": "beantwoord op ander toestel",
        "st_received": "ontvangen", "st_outgoing": "uitgaand",
        "rings_recorded": "volgens de telefoon",
        "count": "{calls} oproepen en {messages} berichten, waarvan {withheld} van een "
                 "verborgen nummer",
        "empty": "Geen oproepen of berichten geselecteerd.",
        "signature": "Handtekening van de aanvrager",
        "done_at": "Opgemaakt te",
        "on": "op",
        "made_by": "Opgemaakt met intake uit de chronologie met roothash",
        "exhibits_note": "Stuk: het nummer van het bewijsstuk in de chronologie "
                         "(chronology.pdf / chronology.json).",
        "official": "",
        "sheet": "Verzoek",
        # curation in the police report
        "note": "Notitie begeleider",
        "tags": "Labels",
        "starred": "belangrijk",
        "left_out": "{n} feiten door de begeleider weggelaten uit dit verslag (ze blijven in "
                    "chronology.json).",
    },
    "fr": {
        "title": "Demande d'identification de l'auteur d'appels malveillants",
        "to": "Au Service de médiation pour les télécommunications",
        "requester": "Demandeur",
        "name": "Nom",
        "address": "Adresse",
        "phone": "Numéro sur lequel les appels et messages ont été reçus",
        "operator": "Opérateur",
        "pv": "Procès-verbal (numéro de PV)",
        "police_zone": "Zone de police",
        "date": "Date de la demande",
        "intro": ("Je demande au Service de médiation pour les télécommunications de me "
                  "communiquer l'identité de la personne qui m'a adressé les appels et messages "
                  f"non désirés énumérés ci-dessous. J'ai porté plainte à la police (voir le "
                  f"numéro de PV ci-dessus). La liste provient du journal des appels et des "
                  f"messages de mon téléphone{NNBSP}; les heures sont à l'heure belge, à la "
                  "seconde près."),
        "list": "Appels et messages",
        "selection": ("Dans la liste{s}: les appels et messages entrants d'un numéro masqué ou "
                      "inconnu et des numéros du suspect, et ce que l'accompagnant a ajouté à la "
                      "main. Les appels et messages des amis et de la famille n'y figurent "
                      "pas.").replace("{s}", NNBSP),
        "rings_note": (f"Sonneries{NNBSP}: le téléphone enregistre la durée d'un appel, pas le "
                       f"nombre de sonneries. Complétez cette colonne vous-même si vous le "
                       f"savez{NNBSP}; une estimation doit être indiquée comme telle."),
        "col_nr": "N°", "col_date": "Date", "col_time": "Heure", "col_number": "Numéro",
        "col_kind": "Type", "col_status": "Statut", "col_duration": "Durée (min:s)",
        "col_rings": "Sonneries", "col_description": "Description", "col_exhibit": "Pièce",
        "withheld": "masqué",
        "kind_call": "appel", "kind_sms": "SMS", "kind_mms": "MMS",
        "st_incoming": "décroché", "st_missed": "manqué", "st_rejected": "refusé",
        "st_blocked": "bloqué", "st_voicemail": "messagerie vocale",
        "st_answered-externally": "décroché sur un autre appareil",
        "st_received": "reçu", "st_outgoing": "sortant",
        "rings_recorded": "selon le téléphone",
        "count": "{calls} appels et {messages} messages, dont {withheld} d'un numéro masqué",
        "empty": "Aucun appel ni message sélectionné.",
        "signature": "Signature du demandeur",
        "done_at": "Fait à",
        "on": "le",
        "made_by": "Établi avec intake à partir de la chronologie de hash racine",
        "exhibits_note": "Pièce : le numéro de la pièce dans la chronologie "
                         "(chronology.pdf / chronology.json).".replace(" :", NNBSP + ":"),
        "official": "",
        "sheet": "Demande",
        "note": "Note de l'accompagnant",
        "tags": "Étiquettes",
        "starred": "important",
        "left_out": "{n} faits écartés de ce rapport par l'accompagnant (ils restent dans "
                    "chronology.json).",
    },
    "en": {
        "title": "Request to identify the caller behind malicious calls",
        "to": "To the Belgian Ombudsman for Telecommunications",
        "requester": "Requester",
        "name": "Name",
        "address": "Address",
        "phone": "Number on which the calls and messages were received",
        "operator": "Operator",
        "pv": "Police report (PV number)",
        "police_zone": "Police zone",
        "date": "Date of the request",
        "intro": ("I ask the Ombudsman for Telecommunications to tell me who made the unwanted "
                  "calls and sent the messages listed below. I reported them to the police (see "
                  "the PV number above). The list comes from my phone's call and message log; "
                  "times are Belgian time, to the second."),
        "list": "Calls and messages",
        "selection": ("Listed: incoming calls and messages from withheld or unknown numbers and "
                      "from the suspect's numbers, and what the adviser added by hand. Calls and "
                      "messages from friends and family are left out."),
        "rings_note": ("Rings: the phone records how long a call lasted, not how many times it "
                       "rang. Fill in this column yourself where you know; mark an estimate as "
                       "an estimate."),
        "col_nr": "No.", "col_date": "Date", "col_time": "Time", "col_number": "Number",
        "col_kind": "Type", "col_status": "Status", "col_duration": "Duration (min:s)",
        "col_rings": "Rings", "col_description": "Description", "col_exhibit": "Exhibit",
        "withheld": "withheld",
        "kind_call": "call", "kind_sms": "SMS", "kind_mms": "MMS",
        "st_incoming": "answered", "st_missed": "missed", "st_rejected": "rejected",
        "st_blocked": "blocked", "st_voicemail": "voicemail",
        "st_answered-externally": "answered on another device",
        "st_received": "received", "st_outgoing": "outgoing",
        "rings_recorded": "as the phone recorded",
        "count": "{calls} calls and {messages} messages, {withheld} of them from a withheld "
                 "number",
        "empty": "No calls or messages selected.",
        "signature": "Signature of the requester",
        "done_at": "Done at",
        "on": "on",
        "made_by": "Made with intake from the chronology with root hash",
        "exhibits_note": "Exhibit: the exhibit's label in the chronology "
                         "(chronology.pdf / chronology.json).",
        "official": ("The ombudsman's official languages are Dutch and French: this English "
                     "version is for information; submit the nl or fr version."),
        "sheet": "Request",
        "note": "Adviser's note",
        "tags": "Tags",
        "starred": "important",
        "left_out": "{n} entries left out of this report by the adviser (they remain in "
                    "chronology.json).",
    },
}


def words(lang: str | None) -> dict[str, str]:
    """The words in `lang` (nl, fr, en; Dutch for anything else)."""
    return WORDS.get((lang or "nl")[:2].lower(), WORDS["nl"])
