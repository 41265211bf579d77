"""Voice without an SDK: project voice defaults (`/config`), simple voice sessions with a
one-time `joinUrl` (seed 000), Twilio's voice webhook, and the internal endpoints the media
gateway calls when a plain WebSocket or Twilio client connects (seed 003).

The gateway carries the audio; this domain only decides who may call, with which agent, and
for how long. Every call starts through the call-lifecycle domain (`api.calls`), so sessions,
transcripts, events, webhooks and usage follow as for any other transport.
"""
