"""LiveKit room names: every project's rooms carry its prefix, so projects never meet."""

from __future__ import annotations


def project_room_name(room_prefix: str, name: str) -> str:
    """The full LiveKit name of a project's room, given with or without the prefix."""
    return name if name.startswith(room_prefix) else room_prefix + name


def short_room_name(room_prefix: str, full_name: str) -> str:
    """The name a project's users see (without the prefix)."""
    return full_name.removeprefix(room_prefix)
