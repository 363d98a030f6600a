"""Voice notes and recordings: container, length and times (issue 14, point 4).

Files made in code in every container phones and recorders write (.m4a,
.opus, .mp3, .aac, .wav, .amr narrow- and wide-band) go through the
media_files plugin: each says its container and length in whole seconds and
milliseconds; the recorder apps' names give their wall time. ExifTool,
where installed, reads the same length (a test oracle only).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from intake.sniff import sniff_bytes
from intake.testing import run_plugin
from plugins import media_files
from tests.helpers import media


@pytest.mark.parametrize(("name", "data", "mime", "container", "seconds", "ms"), [
    ("memo.m4a", media.mp4(datetime(2024, 10, 5, 19, 14, 3, tzinfo=UTC), seconds=31),
     "audio/mp4", "MP4", 31, 31000),
    ("PTT-20241005-WA0004.opus", media.ogg_opus(), "audio/ogg", "OggOpus", 3, 2994),
    ("song.mp3", media.mp3("2024-10-05T21:14:00"), "audio/mpeg", "MP3", 1, 1042),
    ("rec.aac", media.adts_aac(431), "audio/aac", "AAC", 10, 10006),
    ("rec.wav", media.wav(4), "audio/x-wav", "WAVE", 4, 4000),
    ("call.amr", media.amr(5), "audio/amr", "AMR", 5, 5000),
    ("call-wb.amr", media.amr(7.5, wide=True), "audio/amr", "AMR", 8, 7500),
], ids=["m4a", "opus", "mp3", "aac", "wav", "amr", "amr-wb"])
def test_every_recording_says_its_container_and_length(tmp_path: Path, name, data, mime,
                                                       container, seconds, ms) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    sniffed = sniff_bytes(data[:4096], name)
    assert sniffed in (mime, "audio/wav"), sniffed
    (event,) = run_plugin(media_files, path).events
    assert event.kind == "audio"
    assert (event.facts["container"], event.facts["duration_seconds"],
            event.facts["duration_ms"]) == (container, seconds, ms)
    if shutil.which("exiftool") and name.endswith((".m4a", ".opus", ".wav", ".amr")):
        seen = json.loads(subprocess.run(["exiftool", "-n", "-json", "-Duration", str(path)],
                                         capture_output=True, text=True).stdout or "[{}]")[0]
        if "Duration" in seen:
            assert abs(float(seen["Duration"]) - ms / 1000) < 0.05, seen


def test_a_file_that_only_starts_like_amr_is_kept_and_said_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "x.amr"
    path.write_bytes(b"#!AMR\n" + b"\x4c" * 40)  # reserved frame types: no speech
    result = run_plugin(media_files, path)
    (event,) = result.events
    assert "duration_seconds" not in event.facts
    assert media_files.UNREADABLE in result.warnings


@pytest.mark.parametrize(("name", "local"), [
    ("Recording_20241005_211430.m4a", "2024-10-05T21:14:30"),
    ("REC_20241005_211430.wav", "2024-10-05T21:14:30"),
    ("Voice 20241005_211430.amr", "2024-10-05T21:14:30"),
    ("Call recording Kevin_241006_081502.m4a", "2024-10-06T08:15:02"),
    ("20241007 223001-1A2B3C4D.m4a", "2024-10-07T22:30:01"),
    ("AUD-20241005-WA0007.opus", "2024-10-05"),
])
def test_recorder_and_whatsapp_names_give_their_wall_time(tmp_path: Path, name, local) -> None:
    path = tmp_path / name
    path.write_bytes(media.wav(1) if name.endswith(".wav") else media.amr(1)
                     if name.endswith(".amr") else media.ogg_opus()
                     if name.endswith(".opus") else media.mp4(None, seconds=2))
    (event,) = run_plugin(media_files, path).events
    named = [c for c in event.claims if "name" in c.source]
    assert [c.local for c in named] == [local]
    assert named[0].meaning in ("recorded", "sent")
