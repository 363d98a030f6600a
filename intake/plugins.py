"""Plugin discovery and the plugin manager factory.

Discovery order (``intake plugins`` shows the result):

1. the core's own implementations (content sniffer, folder replicas,
   report formats);
2. the built-in source plugins, ``DEFAULT_PLUGINS``: the modules of the
   repository's ``plugins/`` folder, installed as the ``intake.builtin``
   package (not as a top-level ``plugins`` that could collide with another
   project's);
3. plugins installed with pip that declare the ``intake`` entry-point group;
4. ``.py`` files in the plugin folders named in ``config/intake.toml``
   (files starting with ``_`` or ``test_`` are skipped).

Set ``INTAKE_LOAD_PLUGINS`` to a comma-separated list of plugin names to load
only those (besides the core); set it to an empty string to load no source
plugin at all, e.g. when a plugin breaks everything.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

import pluggy

from . import __version__, hookspecs
from .errors import PluginLoadError
from .extraction_records import mime_types, offered_to, plugin_set
from .types import PluginInfo

CORE_MODULES = ("intake.sniff", "intake.defaults")
# The built-in source plugins (plugins/ in the repository), registered by the same
# call as anyone else's; modules starting with "_" are their shared helpers.
DEFAULT_PLUGINS = (
    "intake.builtin.email_messages",
    "intake.builtin.fallback",
    "intake.builtin.logbook",
    "intake.builtin.media_files",
    "intake.builtin.ocr_records",
    "intake.builtin.office_documents",
    "intake.builtin.pdf_letters",
    "intake.builtin.photos",
    "intake.builtin.screenshots",
    "intake.builtin.sms_backup",
    "intake.builtin.whatsapp",
)
ENTRY_POINT_GROUP = "intake"


def _wanted(name: str) -> bool:
    only = os.environ.get("INTAKE_LOAD_PLUGINS")
    if only is None:
        return True
    return name in {n.strip() for n in only.split(",") if n.strip()}


def _builtin_modules() -> list[ModuleType]:
    return [importlib.import_module(modname) for modname in DEFAULT_PLUGINS
            if _wanted(modname.rsplit(".", 1)[-1])]


def _load_file(path: Path) -> ModuleType:
    modname = f"intake_local_plugins.{path.stem}"
    spec = importlib.util.spec_from_file_location(modname, path)
    if spec is None or spec.loader is None:
        raise PluginLoadError(f"{path}: not a Python file intake can load")
    module = importlib.util.module_from_spec(spec)
    sys.modules[modname] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # a plugin file with an error must name itself
        sys.modules.pop(modname, None)
        raise PluginLoadError(f"{path}: the plugin could not be loaded: "
                              f"{type(exc).__name__}: {exc}") from exc
    return module


def get_plugin_manager(plugin_dirs: Iterable[Path] = (), *, load_entry_points: bool = True,
                       extra: Iterable[object] = ()) -> pluggy.PluginManager:
    """A fresh plugin manager with every plugin discovered, in the documented order.

    Raises PluginLoadError naming the plugin when one cannot be loaded or
    implements a hook that does not exist or with arguments it does not have.
    """
    pm = pluggy.PluginManager("intake")
    pm.add_hookspecs(hookspecs)
    origins: dict[str, str] = {}

    def register(plugin: object, name: str, origin: str) -> None:
        if pm.has_plugin(name):
            raise PluginLoadError(f"two plugins are called {name!r} ({origins[name]} and {origin}); "
                                  "rename one")
        try:
            pm.register(plugin, name=name)
        except pluggy.PluginValidationError as exc:
            raise PluginLoadError(f"plugin {name!r} ({origin}): {exc}") from exc
        origins[name] = origin

    for modname in CORE_MODULES:
        register(importlib.import_module(modname), modname.split(".")[-1], "core")
    for module in _builtin_modules():
        register(module, module.__name__.split(".")[-1], "builtin")
    if load_entry_points:
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            if not _wanted(ep.name):
                continue
            try:
                plugin = ep.load()
            except Exception as exc:
                raise PluginLoadError(f"installed plugin {ep.name!r} ({ep.value}) could not be "
                                      f"loaded: {type(exc).__name__}: {exc}") from exc
            register(plugin, ep.name, f"entry-point:{ep.value}")
    for folder in plugin_dirs:
        folder = Path(folder)
        if not folder.is_dir():
            raise PluginLoadError(f"plugin folder {folder} does not exist")
        for path in sorted(folder.glob("*.py")):
            if path.name.startswith(("_", "test_")) or not _wanted(path.stem):
                continue
            register(_load_file(path), path.stem, f"folder:{path}")
    for i, plugin in enumerate(extra):
        register(plugin, getattr(plugin, "__name__", f"extra{i}").split(".")[-1], "extra")
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginLoadError(f"a plugin implements a hook intake does not have: {exc}") from exc
    pm.intake_origins = origins  # type: ignore[attr-defined]
    return pm


def plugin_version(plugin: object) -> str:
    """A plugin's ``__version__``; built-ins without one carry intake's version."""
    return str(getattr(plugin, "__version__", None) or __version__)


def list_plugins(pm: pluggy.PluginManager) -> list[PluginInfo]:
    """Every loaded plugin with its version, origin and hooks, in discovery order."""
    origins: dict[str, str] = getattr(pm, "intake_origins", {})
    infos = []
    for name, plugin in pm.list_name_plugin():
        hooks = tuple(sorted(h.name for h in pm.get_hookcallers(plugin) or ()))
        infos.append(PluginInfo(name=name, version=plugin_version(plugin),
                                origin=origins.get(name, "?"), hooks=hooks))
    order = list(origins)
    infos.sort(key=lambda i: order.index(i.name) if i.name in order else len(order))
    return infos


def hook_impls(pm: pluggy.PluginManager, hook: str = "intake_extract", mime: str | None = None,
               *, skip: Iterable[str] = ()) -> list[tuple[str, object]]:
    """A hook's plugin implementations in the order pluggy would call them.

    Wrappers (``wrapper=True`` or old-style ``hookwrapper=True``) wrap the call
    of the others: they are not readers and are never called as if they were.
    With `mime`, plugins that declare ``MIME_TYPES`` without that type are left
    out (an item is offered only to plugins that may read it).
    """
    out = []
    for impl in reversed(getattr(pm.hook, hook).get_hookimpls()):
        if impl.hookwrapper or getattr(impl, "wrapper", False) or impl.plugin_name in skip:
            continue
        if mime is not None and not offered_to(mime_types(impl.plugin), mime):
            continue
        out.append((impl.plugin_name, impl.function))
    return out


def extract_impls(pm: pluggy.PluginManager, mime: str | None = None) -> list[tuple[str, object]]:
    """``intake_extract`` implementations (no wrappers) offered an item of type `mime`."""
    return hook_impls(pm, "intake_extract", mime)


def extract_plugins(pm: pluggy.PluginManager) -> list[dict]:
    """The plugin set an item's extraction records (name, version, code hash, MIME types)."""
    return plugin_set((name, plugin_version(pm.get_plugin(name)), pm.get_plugin(name))
                      for name, _ in extract_impls(pm))


def merged_mapping(results: Iterable[object]) -> dict:
    """Merge the mappings returned by a non-firstresult hook; first name wins."""
    merged: dict = {}
    for result in results:
        for key, value in dict(result or {}).items():
            merged.setdefault(key, value)
    return merged
