"""``[seal]`` keys are checked like every other key; without ``[seal]`` nothing changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from intake.config import load_config, write_default_config
from intake.errors import ConfigError
from tests.helpers.case import run_intake


def _case(tmp_path: Path, seal: str) -> Path:
    write_default_config(tmp_path / "c", "c")
    cfg = tmp_path / "c" / "config" / "intake.toml"
    cfg.write_text(cfg.read_text() + "\n[seal]\n" + seal)
    (tmp_path / "c" / "config" / "tsa-ca.pem").write_text("x")
    return tmp_path / "c"


@pytest.mark.parametrize(("seal", "words"), [
    ('tsa_urls = ["ftp://tsa.example"]\ntsa_ca_files = ["config/tsa-ca.pem"]\n',
     "key 'seal.tsa_urls' holds 'ftp://tsa.example', which is not an http:// or https://"),
    ('tsa_urls = ["https://tsa.example/tsr"]\n',
     "key 'seal.tsa_ca_files' is empty: name the TSA's CA certificate"),
    ('tsa_urls = ["https://tsa.example/tsr"]\ntsa_ca_files = ["config/nope.pem"]\n',
     "key 'seal.tsa_ca_files' names 'config/nope.pem', which is not a file"),
    ('signing_key = "config/tsa-ca.pem"\npkcs11_module = "/usr/lib/x.so"\n',
     "key 'seal.signing_key' and 'seal.pkcs11_module' are both set; use one"),
    ('signing_key = "config/a.p12"\n', "key 'seal.signing_key' names 'config/a.p12', which is "
                                       "not a file"),
    ('tsa_url = "https://tsa.example"\n', "key 'seal.tsa_url' is not known (allowed here: "
                                          "tsa_urls, tsa_ca_files"),
    ('timeout_seconds = 0\n', "key 'seal.timeout_seconds' is 0.0; allowed: 0.1 to 120"),
])
def test_a_wrong_seal_key_is_named(tmp_path: Path, seal: str, words: str) -> None:
    case = _case(tmp_path, seal)
    with pytest.raises(ConfigError) as exc:
        load_config(case)
    assert words in str(exc.value)


def test_the_cli_names_the_key_in_one_line(tmp_path: Path) -> None:
    case = _case(tmp_path, 'tsa_urls = ["tsa.example"]\ntsa_ca_files = ["config/tsa-ca.pem"]\n')
    r = run_intake("status", "--case", case)
    assert r.returncode != 0
    assert r.stderr.strip().splitlines() == [
        f"intake: {case / 'config' / 'intake.toml'}: sleutel 'seal.tsa_urls' bevat "
        "'tsa.example', wat geen http://- of https://-adres van een tijdstempeldienst is"]


def test_seal_read_and_hosts(tmp_path: Path) -> None:
    case = _case(tmp_path, 'tsa_urls = ["https://tsa.example/tsr", "http://127.0.0.1:8123/x"]\n'
                           'tsa_ca_files = ["config/tsa-ca.pem"]\nretry_seconds = 5\n')
    seal = load_config(case).seal
    assert seal is not None
    assert seal.hosts == (("tsa.example", 443), ("127.0.0.1", 8123))
    assert seal.tsa_ca_files == (case / "config" / "tsa-ca.pem",)
    assert (seal.timeout_seconds, seal.retry_seconds) == (10.0, 5.0)


def test_without_seal_the_config_has_none(tmp_path: Path) -> None:
    write_default_config(tmp_path / "c", "c")
    assert load_config(tmp_path / "c").seal is None
    r = run_intake("seal", "--case", tmp_path / "c")
    assert r.returncode == 1
    assert "deze zaak heeft geen tijdstempeldienst: voeg [seal] tsa_urls toe" in r.stderr
