from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.rooms.schemas import IDENTITY_PATTERN, ROOM_NAME_PATTERN

TrackSourceName = Literal["microphone", "camera", "screen_share", "screen_share_audio"]


class ClientGrants(BaseModel):
    """The only grants a client token may carry; anything else is refused as an unknown field."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    can_publish: bool = Field(default=True, alias="canPublish")
    can_subscribe: bool = Field(default=True, alias="canSubscribe")
    can_publish_data: bool = Field(default=True, alias="canPublishData")
    can_publish_sources: list[TrackSourceName] | None = Field(
        default=None, alias="canPublishSources"
    )
    can_update_own_metadata: bool = Field(default=False, alias="canUpdateOwnMetadata")
    hidden: bool = False


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    identity: str = Field(pattern=IDENTITY_PATTERN, description="Participant identity")
    room: str = Field(pattern=ROOM_NAME_PATTERN, description="Room name, without prefix")
    name: str | None = Field(default=None, max_length=128)
    metadata: str | None = Field(default=None, max_length=4096)
    agent_config_id: str | None = Field(default=None, max_length=40)
    agent_config_ids: list[str] | None = Field(default=None, min_length=1, max_length=5)
    no_agent: bool = False
    grants: ClientGrants = Field(default_factory=ClientGrants)
    ttl: int | None = Field(default=None, ge=60, le=3600, description="Seconds (default 600)")

    @model_validator(mode="after")
    def _one_way_to_pick_agents(self) -> TokenRequest:
        if self.agent_config_id and self.agent_config_ids:
            raise ValueError("give agent_config_id or agent_config_ids, not both")
        if self.no_agent and (self.agent_config_id or self.agent_config_ids):
            raise ValueError("no_agent cannot be combined with agent_config_id(s)")
        return self

    def agent_ids(self) -> list[str]:
        if self.agent_config_id:
            return [self.agent_config_id]
        return list(dict.fromkeys(self.agent_config_ids or []))


class DispatchedSession(BaseModel):
    agent_id: str
    session_id: str


class TokenResponse(BaseModel):
    token: str
    room: str
    wsUrl: str
    identity: str
    expires_in: int
    agents_dispatched: list[str]
    sessions: list[DispatchedSession]
