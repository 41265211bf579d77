"""LiveKit room names: every project's rooms carry its prefix, so projects never meet."""

from __future__ import annotations


def project_room_name(room_prefix: str, name: str) -> str:
    """The full LiveKit name of a project's room, given with or without the prefix."""
    return name if name.startswith(room_prefix) else room_prefix + name


def short_room_name(room_prefix: str, full_name: str) -> str:
    """The name a project's users see (without the prefix)."""
    return full_name.removeprefix(room_prefix)


def room_prefix_of(full_name: str) -> str | None:
    """The project prefix a full room name starts with (`p1a2b3c4d_`), if it has one."""
    head, sep, _ = full_name.partition("_")
    return head + sep if sep and head else None
