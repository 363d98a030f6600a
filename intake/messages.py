"""The core's reasons in the case's language (nl, fr, en), for people.

Reasons are recorded in English in the custody log and the index (one
language for the record); the CLI shows them in the case's language. Each
phrase is an English pattern with its Dutch and French wording; the parts in
braces are translated in turn (a replica's reason inside a waiting reason).
Text no phrase matches (a plugin's own warning) is shown as it is.
"""

from __future__ import annotations

import re

#: (English pattern, Dutch, French). {x} parts are matched lazily and
#: translated recursively; {n} parts are numbers, kept as they are.
PHRASES: tuple[tuple[str, str, str], ...] = (
    ("the file disappeared before it could be read",
     "het bestand verdween voor het gelezen kon worden",
     "le fichier a disparu avant d'avoir pu être lu"),
    ("the file cannot be looked at ({x})",
     "het bestand kan niet bekeken worden ({x})",
     "le fichier ne peut pas être examiné ({x})"),
    ("this is a shortcut (symbolic link) to another file; shortcuts are not followed: "
     "drop the file itself",
     "dit is een snelkoppeling (symbolische link) naar een ander bestand; snelkoppelingen "
     "worden niet gevolgd: zet het bestand zelf in de inbox",
     "c'est un raccourci (lien symbolique) vers un autre fichier ; les raccourcis ne sont pas "
     "suivis : déposez le fichier lui-même"),
    ("this is a pipe or socket, not a file; there is nothing to store",
     "dit is een pipe of socket, geen bestand; er is niets te bewaren",
     "c'est un tube ou une socket, pas un fichier ; il n'y a rien à conserver"),
    ("this is a device or special file, not a document",
     "dit is een apparaat of speciaal bestand, geen document",
     "c'est un périphérique ou un fichier spécial, pas un document"),
    ("no replica of the store is available ({x})",
     "geen enkele kopie van de opslag is beschikbaar ({x})",
     "aucune copie du stockage n'est disponible ({x})"),
    ("the file cannot be read ({x}); it was left where it is",
     "het bestand kan niet gelezen worden ({x}); het blijft waar het is",
     "le fichier ne peut pas être lu ({x}) ; il reste où il est"),
    ("reading the file failed ({x}); it was left where it is",
     "het lezen van het bestand mislukte ({x}); het blijft waar het is",
     "la lecture du fichier a échoué ({x}) ; il reste où il est"),
    ("the file changed while it was being copied; it will be taken when it is stable",
     "het bestand veranderde tijdens het kopiëren; het wordt opgenomen zodra het niet meer "
     "verandert",
     "le fichier a changé pendant la copie ; il sera pris dès qu'il ne changera plus"),
    ("{n} of {n} copies made; the file stays in the inbox until the other replicas are "
     "available ({x})",
     "{n} van de {n} kopieën gemaakt; het bestand blijft in de inbox tot de andere kopieën "
     "beschikbaar zijn ({x})",
     "{n} copies sur {n} faites ; le fichier reste dans la boîte de dépôt jusqu'à ce que les "
     "autres copies soient disponibles ({x})"),
    ("stored, but could not be moved to ingested/ ({x})",
     "bewaard, maar kon niet naar ingested/ verplaatst worden ({x})",
     "conservé, mais n'a pas pu être déplacé vers ingested/ ({x})"),
    ("replica {x}: {x}", "kopie {x}: {x}", "copie {x} : {x}"),
    ("{x}; {x}", "{x}; {x}", "{x} ; {x}"),
    ("no copy yet", "nog geen kopie", "pas encore de copie"),
    ("the replica is full", "de schijf van deze kopie is vol", "le disque de cette copie est plein"),
    ("the replica's quota is used up", "het quotum van deze kopie is op",
     "le quota de cette copie est épuisé"),
    ("the replica is read-only", "deze kopie is alleen-lezen", "cette copie est en lecture seule"),
    ("no permission to write in the replica", "geen toestemming om in deze kopie te schrijven",
     "pas d'autorisation d'écrire dans cette copie"),
    ("the replica's folder disappeared (unplugged?)",
     "de map van deze kopie is verdwenen (losgekoppeld?)",
     "le dossier de cette copie a disparu (débranché ?)"),
    ("its folder is not there (unplugged or not mounted?)",
     "de map is er niet (losgekoppeld of niet aangekoppeld?)",
     "son dossier est absent (débranché ou non monté ?)"),
    ("the replica's disk reported an input/output error",
     "de schijf van deze kopie meldde een lees- of schrijffout",
     "le disque de cette copie a signalé une erreur de lecture ou d'écriture"),
    ("the file is empty (0 bytes)", "het bestand is leeg (0 bytes)", "le fichier est vide (0 octet)"),
    ("no plugin could read this file; it is stored and listed",
     "geen enkele plug-in kon dit bestand lezen; het is bewaard en opgelijst",
     "aucun module n'a pu lire ce fichier ; il est conservé et répertorié"),
)


def _compile(pattern: str) -> re.Pattern[str]:
    out, names = [], []
    for part in re.split(r"(\{x\}|\{n\})", pattern):
        if part == "{x}":
            out.append("(.+?)")
            names.append("x")
        elif part == "{n}":
            out.append(r"(\d+)")
            names.append("n")
        else:
            out.append(re.escape(part))
    return re.compile("".join(out) + r"\Z", re.S)


_COMPILED = [(_compile(en), nl, fr) for en, nl, fr in PHRASES]


def _fill(template: str, groups: tuple[str, ...], language: str) -> str:
    values = iter(groups)

    def sub(m: re.Match[str]) -> str:
        value = next(values)
        return value if m.group() == "{n}" else translate(value, language)

    return re.sub(r"\{x\}|\{n\}", sub, template)


def translate(text: str, language: str) -> str:
    """`text` (one of the core's English reasons) in `language`; unknown text as is."""
    if language not in ("nl", "fr"):
        return text
    for pattern, nl, fr in _COMPILED:
        m = pattern.match(text)
        if m:
            return _fill(nl if language == "nl" else fr, m.groups(), language)
    return text
