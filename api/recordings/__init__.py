"""Recordings: stereo recordings of agent calls and on-demand room recordings, uploaded by the
workers and served with HTTP Range."""
