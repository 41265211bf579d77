"""Voxroom's command line and process launcher: starts and supervises the platform's processes
(Redis, livekit-server, the control plane, agent workers). Not part of the control plane."""
