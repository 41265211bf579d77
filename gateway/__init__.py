"""The media gateway: plain WebSocket and Twilio Media Streams clients bridged into LiveKit
rooms as the caller participant. Its own process; it never imports `api/`."""
