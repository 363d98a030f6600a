"""Meta-tests, as datasette has them: the house keeps its own rules.

Every hook has a test, every config key is documented, every reason the core
gives about a replica has Dutch and French words, and every built-in plugin
is listed in ``DEFAULT_PLUGINS`` and installed as ``intake.builtin``.
"""

from __future__ import annotations

import ast
import importlib
import itertools
from pathlib import Path

import intake.builtin
import pytest

from intake import messages
from intake.config import _ALLOWED
from intake.hookspecs import HOOK_NAMES
from intake.plugins import DEFAULT_PLUGINS

ROOT = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent


def test_every_builtin_plugin_is_a_default_plugin_installed_as_intake_builtin() -> None:
    on_disk = sorted(p.stem for p in (ROOT / "plugins").glob("*.py") if not p.stem.startswith("_"))
    assert sorted(name.rsplit(".", 1)[-1] for name in DEFAULT_PLUGINS) == on_disk
    assert Path(intake.builtin.__file__).parent == ROOT / "plugins"
    for name in DEFAULT_PLUGINS:
        assert importlib.import_module(name).__name__ == name


def _test_sources() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in TESTS.rglob("test_*.py")
                     if p.resolve() != Path(__file__).resolve())


@pytest.mark.parametrize("hook", HOOK_NAMES)
def test_every_hook_has_a_test(hook: str) -> None:
    """A test outside this file implements or calls the hook by name."""
    assert hook in _test_sources(), f"no test mentions {hook}: write one (tests/core/test_hooks.py)"


def test_every_config_key_is_documented() -> None:
    doc = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    missing = []
    for section, keys in _ALLOWED.items():
        if not section:
            continue
        for key in keys:
            wanted = f"`[[{section}]]` `{key}`" if section == "replicas" else f"`{section}.{key}`"
            if wanted not in doc:
                missing.append(wanted)
    assert missing == [], f"keys not in docs/configuration.md: {missing}"


def _parts(node: ast.expr) -> list[str | None] | None:
    """A warning's text as literal pieces and None for each computed part."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return [v.value if isinstance(v, ast.Constant) else None for v in node.values]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _parts(node.left), _parts(node.right)
        if left is not None or right is not None:
            return (left or [None]) + (right or [None])
    return None


def _sample(node: ast.expr) -> str | None:
    parts = _parts(node)
    return None if parts is None else "".join(p if p is not None else "X" for p in parts)


def _replica_reasons() -> list[tuple[str, str]]:
    """Every literal reason the core gives for a replica it cannot use or whose log lags."""
    found = []
    for path in sorted((ROOT / "intake").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            texts: list[ast.expr] = []
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "ReplicaUnavailable" and node.args):
                texts.append(node.args[0])
            elif isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Subscript) and isinstance(t.value, (ast.Name, ast.Attribute))
                    and getattr(t.value, "attr", getattr(t.value, "id", "")) in (
                        "unavailable", "damaged") for t in node.targets):
                texts.append(node.value)
            elif isinstance(node, ast.FunctionDef) and node.name == "plain_reason":
                for inner in ast.walk(node):  # the errno table's words and the fallback
                    if isinstance(inner, ast.Dict):
                        texts += [v for v in inner.values if v is not None]
                    elif isinstance(inner, ast.JoinedStr):
                        texts.append(inner)
            for text in texts:
                sample = _sample(text)
                if sample is not None:
                    found.append((f"{path.relative_to(ROOT)}:{text.lineno}", sample))
    return found


def test_the_reason_finder_finds_the_known_ones() -> None:
    said = {text for _, text in _replica_reasons()}
    assert "the replica's device is gone" in said
    assert "it belongs to another case (X)" in said
    assert "could not be written (X)" in said
    assert len(said) >= 10


@pytest.mark.parametrize("lang", ["nl", "fr"])
def test_every_replica_reason_has_words_in_both_languages(lang: str) -> None:
    untranslated = [f"{where}: {text}" for where, text in _replica_reasons()
                    if messages.translate(text, lang) == text]
    assert untranslated == [], "add these to intake/messages.py REASONS, then make locale"


def _literal_texts(files: list[Path], pick) -> list[tuple[str, list[str | None]]]:
    """Every literal text `pick(call)` points at in a call in `files`."""
    found = []
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and (arg := pick(node)) is not None
                    and (parts := _parts(arg)) is not None):
                found.append((f"{path.relative_to(ROOT)}:{node.lineno}", parts))
    return found


def _appended(files: list[Path], to: str) -> list[tuple[str, list[str | None]]]:
    """Every literal text appended (or inserted) to a list whose name holds `to`."""
    def pick(call: ast.Call) -> ast.expr | None:
        if not (isinstance(call.func, ast.Attribute) and call.func.attr in ("append", "insert")
                and call.args):
            return None
        target = call.func.value
        if isinstance(target, ast.Subscript):
            named = isinstance(target.slice, ast.Constant) and target.slice.value == to
        else:
            named = to in getattr(target, "id", getattr(target, "attr", ""))
        return call.args[-1] if named else None

    return _literal_texts(files, pick)


def _warnings_written() -> list[tuple[str, list[str | None]]]:
    """Every literal warning the plugin host, the extraction record and the built-in
    plugins append to a list of warnings (a text held in a variable is not seen)."""
    files = sorted((ROOT / "plugins").glob("*.py")) + [
        ROOT / "intake" / "extract.py", ROOT / "intake" / "plugin_worker.py",
        ROOT / "intake" / "ingest" / "extraction.py"]
    return _appended(files, "warnings")


def _has_words(parts: list[str | None], lang: str) -> bool:
    """Translated with some filling of the computed parts: a word, a number,
    where in a logbook ("entry 7") or nothing."""
    holes = parts.count(None)
    longest = max((p.strip() for p in parts if p), key=len)
    for fill in itertools.product(("X", "7", "entry 7", ""), repeat=holes):
        values = iter(fill)
        text = "".join(p if p is not None else next(values) for p in parts)
        said = messages.translate(text, lang)
        if longest not in said if any(c.isalpha() for c in longest) else said != text:
            return True  # the words themselves changed, not only a part put in
    return False


def _untranslated(found: list[tuple[str, list[str | None]]], lang: str) -> list[str]:
    return [f"{where}: {''.join(p if p is not None else '{}' for p in parts)}"
            for where, parts in found if not _has_words(parts, lang)]


def test_the_warning_finder_finds_the_known_ones() -> None:
    texts = {"".join(p if p is not None else "X" for p in parts)
             for _, parts in _warnings_written()}
    assert "the image holds no date or time of its own" in texts
    assert "the mailbox holds X messages; only the first X were read" in texts
    assert "plugin X crashed its worker process" in texts
    assert len(texts) >= 60


@pytest.mark.parametrize("lang", ["nl", "fr"])
def test_every_warning_a_report_shows_has_words_in_both_languages(lang: str) -> None:
    """The HTML and PDF reports, `intake status` and the workspace show an item's
    warnings in the case's language: none may stay English."""
    assert _untranslated(_warnings_written(), lang) == [], "add these to intake/messages.py REASONS, then make locale"


@pytest.mark.parametrize("lang", ["nl", "fr"])
def test_every_problem_verify_finds_in_a_chronology_has_words_in_both_languages(lang) -> None:
    """`intake verify --chronology/--proof` says what was changed in the case's language."""
    found = _appended([ROOT / "intake" / "chronology" / "verify.py"], "problems")
    assert len(found) >= 30
    assert _untranslated(found, lang) == [], "add these to intake/messages.py REASONS, then make locale"


def _raised(files: list[Path]) -> list[tuple[str, list[str | None]]]:
    """The literal text of every ``SomethingError(...)`` or ``TokenProblem(...)`` made."""
    def pick(call: ast.Call) -> ast.expr | None:
        name = getattr(call.func, "id", getattr(call.func, "attr", ""))
        return call.args[0] if call.args and (name.endswith("Error")
                                              or name == "TokenProblem") else None

    return _literal_texts(files, pick)


@pytest.mark.parametrize("lang", ["nl", "fr"])
def test_every_seal_problem_has_words_in_both_languages(lang: str) -> None:
    """A TSA's refusal, a token that does not hold, a changed batch seal: in the case's
    language wherever intake shows them (errors, `intake verify`, `intake seal`)."""
    files = sorted((ROOT / "intake" / "seal").glob("*.py"))
    found = _raised(files) + _appended(files, "problems") + _appended(files, "out")
    assert len(found) >= 40
    assert _untranslated(found, lang) == [], "add these to intake/messages.py REASONS, then make locale"


@pytest.mark.parametrize("lang", ["nl", "fr"])
def test_every_config_problem_has_words_in_both_languages(lang: str) -> None:
    """A config that is wrong is told in the language the file asks for (read leniently).
    Without a config file there is no case, so no language: those stay English."""
    path = ROOT / "intake" / "config.py"
    found = [(where, parts) for where, parts in _raised([path])
             if not any(p and ("no config file here" in p or "only points to" in p)
                        for p in parts)]
    found += _literal_texts([path], lambda call: call.args[1] if getattr(  # said after the key
        call.func, "attr", "") == "fail" and len(call.args) == 2 else None)
    assert len(found) >= 35
    assert _untranslated(found, lang) == [], "add these to intake/messages.py REASONS, then make locale"


def test_no_module_imports_a_private_name_of_another() -> None:
    """``from .checks import _good_meta`` is how the house got untidy: public names only."""
    found = []
    for path in sorted((ROOT / "intake").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith(
                    "intake")):
                found += [f"{path.relative_to(ROOT)}:{node.lineno}: {alias.name}"
                          for alias in node.names
                          if alias.name.startswith("_") and not alias.name.startswith("__")]
    assert found == []
