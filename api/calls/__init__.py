"""Calls: the lifecycle of a conversation between a caller and agents, in one place.

Every entry point that starts a call (`POST /token`, `POST /sessions`, and later SIP lines,
the media gateway and Twilio) goes through `CallService`: it makes sure the room exists,
opens one session row per agent, dispatches the agent, and fails the session when the
dispatch cannot be sent. What happens afterwards is watched from here too: `dispatch` re-sends
a dispatch no worker took, `reconciler` closes sessions whose agent or caller never showed up
or vanished (LiveKit's webhooks are hints, the Room API is the truth), and
`livekit_webhooks` turns LiveKit's webhooks into our events and those checks.
"""
