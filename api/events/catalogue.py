"""The event catalogue (API.md, "Events and webhooks") and the monitor channels of an event."""

from __future__ import annotations

from typing import Final

SESSION_STARTED: Final = "session.started"
SESSION_ENDED: Final = "session.ended"
SESSION_FAILED: Final = "session.failed"
SESSION_AGENT_REPLACED: Final = "session.agent_replaced"
TRANSCRIPT_NEW: Final = "transcript.new"
ROOM_STARTED: Final = "room.started"
ROOM_FINISHED: Final = "room.finished"
PARTICIPANT_JOINED: Final = "participant.joined"
PARTICIPANT_LEFT: Final = "participant.left"
TRACK_PUBLISHED: Final = "track.published"
TRACK_UNPUBLISHED: Final = "track.unpublished"
CALL_STATUS: Final = "call.status"
RECORDING_STARTED: Final = "recording.started"
RECORDING_STOPPED: Final = "recording.stopped"
RECORDING_READY: Final = "recording.ready"
RECORDING_FAILED: Final = "recording.failed"
TOOL_EXECUTED: Final = "tool.executed"
TOOL_FAILED: Final = "tool.failed"
AGENT_CREATED: Final = "agent.created"
AGENT_UPDATED: Final = "agent.updated"
AGENT_DELETED: Final = "agent.deleted"
KNOWLEDGE_DOCUMENT_UPLOADED: Final = "knowledge.document_uploaded"
KNOWLEDGE_REINDEXED: Final = "knowledge.reindexed"
ROOM_DATA_SENT: Final = "room.data_sent"
PARTICIPANT_UPDATED: Final = "participant.updated"
TRACK_MUTED: Final = "track.muted"
TRACK_UNMUTED: Final = "track.unmuted"
SUPERVISOR_WHISPER: Final = "supervisor.whisper"
SUPERVISOR_SAY: Final = "supervisor.say"
SUPERVISOR_LISTEN: Final = "supervisor.listen"
SUPERVISOR_TAKEOVER: Final = "supervisor.takeover"
SUPERVISOR_HANDBACK: Final = "supervisor.handback"
TEST: Final = "test"

EVENT_TYPES: Final = (
    SESSION_STARTED,
    SESSION_ENDED,
    SESSION_FAILED,
    TRANSCRIPT_NEW,
    ROOM_STARTED,
    ROOM_FINISHED,
    PARTICIPANT_JOINED,
    PARTICIPANT_LEFT,
    TRACK_PUBLISHED,
    TRACK_UNPUBLISHED,
    CALL_STATUS,
    RECORDING_STARTED,
    RECORDING_STOPPED,
    RECORDING_READY,
    RECORDING_FAILED,
    TOOL_EXECUTED,
    TOOL_FAILED,
    AGENT_CREATED,
    AGENT_UPDATED,
    AGENT_DELETED,
    KNOWLEDGE_DOCUMENT_UPLOADED,
    KNOWLEDGE_REINDEXED,
    ROOM_DATA_SENT,
    PARTICIPANT_UPDATED,
    TRACK_MUTED,
    TRACK_UNMUTED,
    SUPERVISOR_WHISPER,
    SUPERVISOR_SAY,
    SUPERVISOR_LISTEN,
    SUPERVISOR_TAKEOVER,
    SUPERVISOR_HANDBACK,
    SESSION_AGENT_REPLACED,
    TEST,
)
"""Every event type, in API.md's order (then call control and supervision, issue 14): webhook
endpoint filters are checked against it."""

ROOMS_CHANNEL: Final = "rooms"


def room_channel(full_room_name: str) -> str:
    return f"room:{full_room_name}"


def session_channel(session_id: str) -> str:
    return f"session:{session_id}"


def counted_on_write(room_name: str | None, session_id: str | None) -> list[str]:
    """The monitor channels whose number an event gets in its own transaction (internal
    names: full room names): its room's and its session's.

    Every event that concerns a room is also on `rooms`, numbered by the relay instead (one
    counter bump per project and batch), so that a project's writers never queue on one
    counter row. A transaction writes the events of one room, so its counters are always
    taken in the same order (room, then session) and writers never deadlock.
    """
    channels: list[str] = []
    if room_name:
        channels.append(room_channel(room_name))
    if session_id:
        channels.append(session_channel(session_id))
    return channels
