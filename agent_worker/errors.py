"""The agent worker's errors: one base, domain subclasses."""

from __future__ import annotations


class AgentError(Exception):
    """Base of every error raised by the agent worker package."""


class ModelMissingError(AgentError):
    """An offline model package is not installed (the message names the package)."""


class ModelIntegrityError(AgentError):
    """An offline model file does not match its pinned sha256 (the message names the package)."""


class ProviderUnavailableError(AgentError):
    """A configured provider cannot run here (missing key, package or model)."""


class InvalidDispatchError(AgentError):
    """The job metadata is not a valid `DispatchMetadata`."""
