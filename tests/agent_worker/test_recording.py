"""Worker-side recording: the room mix keeps each track where it arrived, the file writers
produce real Ogg/Opus, WAV and MP4 files, and the uploader resumes where the control plane
stands (a real app on a real database)."""

from datetime import timedelta

import aiohttp
import httpx
import numpy as np
import pytest
from livekit import rtc

from agent_worker.recording import RecordingUploader, audio_duration_s
from agent_worker.room_recorder import SAMPLE_RATE, AudioFileWriter, ChannelMix, RoomMix
from api.app import create_app
from api.sessions.tokens import issue_report_token
from tests.services import served

pytestmark = pytest.mark.integration

FRAME = SAMPLE_RATE // 100  # 10 ms, as rtc.AudioStream delivers


def _tone(frequency: float, samples: int) -> np.ndarray:
    t = np.arange(samples) / SAMPLE_RATE
    return (np.sin(2 * np.pi * frequency * t) * 8000).astype(np.int16)


def _frame(samples: np.ndarray) -> rtc.AudioFrame:
    return rtc.AudioFrame(samples.tobytes(), SAMPLE_RATE, 1, len(samples))


def _decoded(path) -> np.ndarray:
    import av

    with av.open(str(path)) as container:
        chunks = [
            frame.to_ndarray().reshape(-1).astype(np.float32) for frame in container.decode(audio=0)
        ]
    return np.concatenate(chunks)


def _energy_by_tenth(samples: np.ndarray) -> np.ndarray:
    tenth = SAMPLE_RATE // 10
    usable = len(samples) // tenth * tenth
    return np.sqrt(np.mean(samples[:usable].astype(np.float64).reshape(-1, tenth) ** 2, axis=1))


async def test_room_mix_places_each_track_where_it_arrived(tmp_path):
    now = [0.0]
    writer = AudioFileWriter(tmp_path / "mix.wav", "wav")
    mix = RoomMix(writer, clock=lambda: now[0])
    # track A speaks from 0.0 s to 0.5 s, track B from 1.0 s to 1.5 s; nothing in between
    for start, sid in ((0.0, "TR_a"), (1.0, "TR_b")):
        tone = _tone(440 if sid == "TR_a" else 660, SAMPLE_RATE // 2)
        for index in range(50):
            now[0] = start + (index + 1) / 100
            mix.push(sid, _frame(tone[index * FRAME : (index + 1) * FRAME]))
            mix.flush()
    now[0] = 2.0
    mix.flush(final=True)
    await writer.aclose()
    energy = _energy_by_tenth(_decoded(tmp_path / "mix.wav"))
    assert len(energy) == 20
    loud = [index for index, value in enumerate(energy) if value > 1000]
    assert loud == [0, 1, 2, 3, 4, 10, 11, 12, 13, 14]


def _channels(path) -> np.ndarray:
    """Decoded samples as channels x samples."""
    import av

    with av.open(str(path)) as container:
        frames = [
            frame.to_ndarray()
            if frame.format.is_planar
            else frame.to_ndarray().reshape(-1, frame.layout.nb_channels).T
            for frame in container.decode(audio=0)
        ]
    samples = np.concatenate(frames, axis=1)
    return samples.astype(np.float32) / (32768.0 if samples.dtype == np.int16 else 1.0)


@pytest.mark.parametrize("fmt", ["wav", "ogg", "mp4"])
async def test_each_participant_gets_a_channel_of_their_own_on_one_timeline(tmp_path, fmt):
    now = [0.0]
    mix = ChannelMix(tmp_path / f"room.{fmt}", fmt, clock=lambda: now[0])
    # alice speaks 0.0-0.5 s on two tracks, bob 1.0-1.5 s (his channel starts late), and
    # participants past the fourth share the last channel
    speakers = [
        (0.0, "alice", "TR_a1"),
        (0.0, "alice", "TR_a2"),
        (1.0, "bob", "TR_b"),
        (2.0, "carol", "TR_c"),
        (2.0, "dan", "TR_d"),
        (2.0, "erin", "TR_e"),
    ]
    for start in (0.0, 1.0, 2.0):
        for index in range(50):
            now[0] = start + (index + 1) / 100
            for began, identity, sid in speakers:
                if began == start:
                    mix.push(identity, sid, _frame(_tone(440, FRAME)))
            mix.flush()
    now[0] = 3.0
    mix.flush(final=True)
    samples, channels = await mix.close()
    assert (channels, mix.identities) == (4, ["alice", "bob", "carol", "dan"])
    assert samples == 3 * SAMPLE_RATE
    decoded = _channels(tmp_path / f"room.{fmt}")
    assert decoded.shape[0] == 4
    loud = [
        [tenth for tenth, value in enumerate(_energy_by_tenth(channel)) if value > 0.03]
        for channel in decoded
    ]
    # lossy codecs smear a tenth at the edges; each voice stays in its channel and its time
    for channel, (first, last) in enumerate(((0, 4), (10, 14), (20, 24), (20, 24))):
        assert loud[channel], channel
        assert first - 1 <= loud[channel][0] <= first + 1 and loud[channel][-1] <= last + 1


@pytest.mark.parametrize("fmt", ["ogg", "mp4"])
async def test_encoded_files_hold_the_audio_written(tmp_path, fmt):
    writer = AudioFileWriter(tmp_path / f"room.{fmt}", fmt)
    for _ in range(100):
        writer.write(_tone(440, FRAME))
    await writer.aclose()
    assert audio_duration_s(tmp_path / f"room.{fmt}") == pytest.approx(1.0, abs=0.1)
    assert np.sqrt(np.mean(_decoded(tmp_path / f"room.{fmt}") ** 2)) > 0.05


async def test_an_interrupted_upload_resumes_where_the_control_plane_stands(
    settings, admin, tmp_path
):
    settings.recordings_dir = tmp_path / "recordings"
    content = np.random.default_rng(7).bytes(1_300_000)  # three chunks
    path = tmp_path / "call.ogg"
    path.write_bytes(content)
    async with (
        served(create_app(settings)) as base,
        httpx.AsyncClient(base_url=base, headers=admin.headers) as api,
        aiohttp.ClientSession() as http,
    ):
        session = (
            await api.post("/api/v1/sessions", json={"room_name": "r", "caller_identity": "c"})
        ).json()["session"]
        token = issue_report_token(
            settings.require_livekit_secret(),
            session["id"],
            admin.project_id,
            timedelta(minutes=5),
        )
        uploader = RecordingUploader(
            http,
            report_url=f"{base}/internal/v1",
            token=token,
            recording_id="rec_" + "e5" * 10,
        )
        await uploader.open_call(session["id"])
        # a first attempt got 1000 bytes across before it was cut off
        cut = await api.put(
            f"{base}/internal/v1/recordings/{uploader.recording_id}/content",
            content=content[:1000],
            headers={"Authorization": f"Bearer {token}", "Content-Range": "bytes 0-999/*"},
        )
        assert cut.status_code == 200
        await uploader.upload(path, duration_s=12.5, channels=2)
        got = (await api.get(f"/api/v1/recordings/{uploader.recording_id}")).json()["recording"]
        assert got["status"] == "ready" and got["duration_s"] == 12.5
        downloaded = await api.get(f"/api/v1/recordings/{uploader.recording_id}/download")
        assert downloaded.content == content
