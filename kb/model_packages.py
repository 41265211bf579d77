"""Model files shipped inside pip packages: found without importing the package's code and
checked against their pinned sha256 before use.

Third-party repackagings are trusted only through these pins. The knowledge base's embedder
and the agent worker's offline models (Whisper, Piper, SmolLM2) all find and check their
files here; it lives in `kb`, the bottom layer, so both can import it.
"""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

from kb.errors import KbError

_CHUNK = 1 << 20


class ModelPackageError(KbError):
    """A model package is not installed or does not hold the pinned files."""

    code = "UNAVAILABLE"
    status = 503


class ModelPackageMissing(ModelPackageError):
    """The package, or one of its files, is not installed (the message names the package)."""


class ModelPackageMismatch(ModelPackageError):
    """A file does not match its pinned sha256 (the message names the package)."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def package_dir(distribution: str, *, install_hint: str | None = None) -> Path:
    """The installed folder of the package `distribution` (its import name: `-` becomes `_`)."""
    # find_spec locates the files without importing the package's code
    spec = importlib.util.find_spec(distribution.replace("-", "_"))
    if spec is None or not spec.submodule_search_locations:
        hint = install_hint or f"pip install {distribution}"
        raise ModelPackageMissing(
            f"model package {distribution!r} is not installed ({hint})",
            details={"package": distribution},
        )
    return Path(next(iter(spec.submodule_search_locations)))


def verify_file(path: Path, expected_sha256: str, *, distribution: str) -> None:
    """Refuse a file that is absent or is not the pinned one."""
    details = {"package": distribution, "file": path.name}
    if not path.is_file():
        raise ModelPackageMissing(
            f"model file {path.name!r} is missing from package {distribution!r}; reinstall it",
            details=details,
        )
    actual = sha256_file(path)
    if actual != expected_sha256:
        raise ModelPackageMismatch(
            f"model file {path.name!r} from package {distribution!r} has sha256 {actual}, "
            f"expected {expected_sha256}; reinstall the pinned version of {distribution!r}",
            details=details,
        )


def package_file(
    distribution: str, relative: str, expected_sha256: str, *, install_hint: str | None = None
) -> Path:
    """The checked path of `relative` inside the package `distribution`."""
    path = package_dir(distribution, install_hint=install_hint) / relative
    verify_file(path, expected_sha256, distribution=distribution)
    return path
