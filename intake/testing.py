"""Help plugin authors test: run one plugin on one sample file, see what it read.

    from intake.testing import run_plugin
    result = run_plugin(my_plugin_module, "tests/samples/chat.txt")
    assert result.events[0].who == "Alex"
    assert result.events[0].claims[0].utc == "2024-03-01T09:15:00Z"

Time claims come back resolved exactly as the pipeline would resolve them
(``utc``, ``offset``, ``zone`` and DST flags filled in for the case's zone).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import pluggy

from . import hookspecs
from .extract import ExtractionResult, extract_in_process
from .sniff import sniff_bytes
from .types import CaseInfo, DerivedItem, Event, Extraction, ItemView


@dataclass
class PluginResult:
    """What one plugin read from one file, after the core's checks."""

    extraction: Extraction | None
    warnings: list[str] = field(default_factory=list)  # the plugin's and the core's
    runs: list = field(default_factory=list)

    @property
    def events(self) -> tuple[Event, ...]:
        return self.extraction.events if self.extraction else ()

    @property
    def derived(self) -> tuple[DerivedItem, ...]:
        return self.extraction.derived if self.extraction else ()

    @property
    def facts(self) -> dict:
        return dict(self.extraction.facts) if self.extraction else {}


def item_view(path: Path | str, name: str | None = None, mime: str | None = None) -> ItemView:
    """An ItemView of a file as the pipeline would build it (sniffed MIME, head)."""
    path = Path(path)
    data = path.read_bytes()
    head = data[:8192]
    return ItemView(sha256=hashlib.sha256(data).hexdigest(), path=path,
                    name=name or path.name, size=len(data),
                    mime=mime or sniff_bytes(head, name or path.name), head=head)


def run_plugin(plugin: ModuleType | object, path: Path | str, *, name: str | None = None,
               case: CaseInfo | None = None) -> PluginResult:
    """Run only `plugin`'s ``intake_extract`` on the file at `path`.

    :param name: the original file name to present (default: the file's own).
    :param case: zone and language (default: Europe/Brussels, nl).
    """
    pm = pluggy.PluginManager("intake")
    pm.add_hookspecs(hookspecs)
    pm.register(plugin, name=getattr(plugin, "__name__", "plugin").split(".")[-1])
    pm.check_pending()
    result: ExtractionResult = extract_in_process(pm, item_view(path, name), case or CaseInfo())
    warnings = list(result.warnings)
    if result.extraction:
        warnings = list(result.extraction.warnings) + warnings
    return PluginResult(result.extraction, warnings, result.runs)
