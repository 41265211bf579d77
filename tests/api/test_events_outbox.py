"""The event outbox: events commit with their change, carry per-channel sequence numbers,
and the relay hands each to every subscriber once, inside the transaction that marks it."""

import asyncio
import json
from collections.abc import Sequence
from datetime import timedelta

import pytest
from redis.asyncio import Redis
from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.bootstrap import create_project_key
from api.db import create_engine, session_factory, utcnow
from api.events import catalogue, outbox
from api.events.models import Event, EventChannel
from api.events.outbox import EventRecord
from api.events.relay import EventRelay, monitor_channel
from api.projects.schemas import Scope
from api.sessions.models import CallSession

pytestmark = pytest.mark.integration


@pytest.fixture
async def db(database_url):
    engine = create_engine(database_url)
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def redis(redis_url):
    client = Redis.from_url(redis_url, decode_responses=True)
    yield client
    await client.aclose()


async def test_events_exist_only_if_their_transaction_commits(database_url, db):
    project_id, _ = await create_project_key(database_url, "acme", Scope.ADMIN)
    async with db() as session:
        await outbox.record(session, project_id, catalogue.AGENT_CREATED, {"n": 1})
        await session.rollback()
        await outbox.record(session, project_id, catalogue.AGENT_CREATED, {"n": 2})
        await session.commit()
        rows = (await session.exec(select(Event))).all()
    assert [row.data for row in rows] == [{"n": 2}]
    assert rows[0].id.startswith("evt_") and rows[0].relayed_at is None


async def test_sequence_numbers_count_per_channel_and_project(database_url, db, redis):
    acme, _ = await create_project_key(database_url, "acme", Scope.ADMIN)
    other, _ = await create_project_key(database_url, "other", Scope.ADMIN)
    async with db() as session:
        first = await outbox.record(
            session, acme, catalogue.SESSION_STARTED, {}, session_id="ses_1", room_name="p_a"
        )
        second = await outbox.record(
            session, acme, catalogue.TRANSCRIPT_NEW, {}, session_id="ses_1", room_name="p_a"
        )
        third = await outbox.record(session, acme, catalogue.ROOM_STARTED, {}, room_name="p_b")
        elsewhere = await outbox.record(session, other, catalogue.ROOM_STARTED, {}, room_name="x")
        untracked = await outbox.record(session, acme, catalogue.AGENT_DELETED, {})
        await session.commit()
    assert (first.room_seq, first.session_seq) == (1, 1)
    assert (second.room_seq, second.session_seq) == (2, 2)
    assert (third.room_seq, third.session_seq) == (1, None)
    assert elsewhere.room_seq == 1
    assert (untracked.room_seq, untracked.session_seq) == (None, None)
    # The project-wide `rooms` channel is numbered by the relay, in creation order.
    assert await EventRelay(db, redis).relay_batch() == 5
    async with db() as session:
        rooms = {e.id: e.rooms_seq for e in (await session.exec(select(Event))).all()}
    assert [rooms[e.id] for e in (first, second, third, elsewhere, untracked)] == [
        1,
        2,
        3,
        1,
        None,
    ]


async def test_a_dedupe_key_records_an_outside_event_once(database_url, db):
    project_id, _ = await create_project_key(database_url, "acme", Scope.ADMIN)
    async with db() as session:
        kept = await outbox.record_once(
            session, project_id, catalogue.ROOM_STARTED, {}, dedupe_key="lk:EV_1", room_name="r"
        )
        again = await outbox.record_once(
            session, project_id, catalogue.ROOM_STARTED, {}, dedupe_key="lk:EV_1", room_name="r"
        )
        await session.commit()
        rows = (await session.exec(select(Event))).all()
    assert kept is not None and again is None
    assert len(rows) == 1 and rows[0].room_seq == 1


async def test_an_event_recorded_once_rolls_back_with_its_transaction(database_url, db):
    # As the transaction's first write: a savepoint there opened SQLite's transaction itself
    # and its release committed the event before the caller's own writes.
    project_id, _ = await create_project_key(database_url, "acme", Scope.ADMIN)
    async with db() as session:
        row = await outbox.record_once(
            session, project_id, catalogue.ROOM_STARTED, {}, dedupe_key="lk:EV_1", room_name="r"
        )
        assert row is not None
        await session.rollback()
    async with db() as session:
        assert (await session.exec(select(Event))).all() == []
        kept = await outbox.record_once(
            session, project_id, catalogue.ROOM_STARTED, {}, dedupe_key="lk:EV_1", room_name="r"
        )
        await session.commit()
    assert kept is not None and kept.room_seq == 1


async def test_a_duplicate_takes_no_number_in_its_channels(database_url, db):
    project_id, _ = await create_project_key(database_url, "acme", Scope.ADMIN)
    where = {"session_id": "ses_1", "room_name": "r"}
    async with db() as session:
        first = await outbox.record_once(
            session, project_id, catalogue.CALL_STATUS, {}, dedupe_key="k1", **where
        )
        again = await outbox.record_once(
            session, project_id, catalogue.CALL_STATUS, {}, dedupe_key="k1", **where
        )
        plain = await outbox.record(session, project_id, catalogue.TRANSCRIPT_NEW, {}, **where)
        await session.commit()
    async with db() as session:
        later = await outbox.record(session, project_id, catalogue.TRANSCRIPT_NEW, {}, **where)
        repeated = await outbox.record_once(
            session, project_id, catalogue.CALL_STATUS, {}, dedupe_key="k1", **where
        )
        last = await outbox.record_once(
            session, project_id, catalogue.CALL_STATUS, {}, dedupe_key="k2", **where
        )
        await session.commit()
        stored = (await session.exec(select(Event).order_by(col(Event.session_seq)))).all()
    assert again is None and repeated is None
    assert [e.id for e in stored] == [e.id for e in (first, plain, later, last)]
    assert [(e.room_seq, e.session_seq) for e in stored] == [(n, n) for n in range(1, 5)]


async def test_relay_delivers_each_event_once_to_subscribers_and_redis(database_url, db, redis):
    project_id, _ = await create_project_key(database_url, "acme", Scope.ADMIN)
    seen: list[str] = []

    async def on_events(session: AsyncSession, events: Sequence[EventRecord]) -> None:
        assert session.in_transaction()
        seen.extend(event.id for event in events)

    relays = [EventRelay(db, redis, batch_size=7), EventRelay(db, redis, batch_size=7)]
    for relay in relays:
        relay.subscribe(on_events)
    pubsub = redis.pubsub()
    await pubsub.subscribe(monitor_channel(project_id))
    async with db() as session:
        ids = [
            (await outbox.record(session, project_id, catalogue.TEST, {"i": i}, room_name="r")).id
            for i in range(40)
        ]
        await session.commit()
    # Two relays (two replicas) drain one backlog concurrently.
    while sum(await asyncio.gather(*(relay.relay_batch() for relay in relays))):
        pass
    assert sorted(seen) == sorted(ids)
    published: list[dict] = []
    deadline = asyncio.get_running_loop().time() + 5
    while len(published) < len(ids) and asyncio.get_running_loop().time() < deadline:
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.5)
        if message is not None:
            published.append(json.loads(message["data"]))
    await pubsub.aclose()
    assert sorted(m["id"] for m in published) == sorted(ids)
    assert set(published[0]) >= {"id", "event_type", "project_id", "timestamp", "data"}
    async with db() as session:
        rows = (await session.exec(select(Event))).all()
    assert all(row.relayed_at for row in rows)
    # Both relays numbered the project's `rooms` channel without a gap or a repeat.
    assert sorted(row.rooms_seq or 0 for row in rows) == list(range(1, 41))
    assert sorted(m["rooms_seq"] for m in published) == list(range(1, 41))


async def test_a_refused_event_backs_off_alone_while_the_others_go_on(database_url, db, redis):
    project_id, _ = await create_project_key(database_url, "acme", Scope.ADMIN)
    delivered: list[int] = []

    async def picky(session: AsyncSession, events: Sequence[EventRecord]) -> None:
        if any(event.data["i"] == 1 for event in events):
            raise RuntimeError("receiver refuses event 1")
        delivered.extend(event.data["i"] for event in events)

    relay = EventRelay(db, redis)
    relay.subscribe(picky)
    async with db() as session:
        for i in range(3):
            await outbox.record(session, project_id, catalogue.TEST, {"i": i})
        await session.commit()
    assert await relay.relay_batch() == 2
    assert sorted(delivered) == [0, 2]
    assert await relay.relay_batch() == 0  # event 1 waits for its back-off
    async with db() as session:
        refused = (await session.exec(select(Event).where(col(Event.relayed_at).is_(None)))).one()
    assert refused.data == {"i": 1} and refused.relay_attempts == 1
    assert refused.relay_after is not None


async def test_relayed_events_are_purged_after_the_retention(database_url, db, redis):
    project_id, _ = await create_project_key(database_url, "acme", Scope.ADMIN)
    relay = EventRelay(db, redis)
    async with db() as session:
        for i in range(3):
            await outbox.record(session, project_id, catalogue.TEST, {"i": i})
        await session.commit()
    assert await relay.relay_batch() == 3
    async with db() as session:
        await outbox.record(session, project_id, catalogue.TEST, {"i": "pending"})
        await session.commit()
    assert await relay.purge(timedelta(days=1)) == 0
    assert await relay.purge(timedelta(seconds=-1)) == 3
    async with db() as session:
        left = (await session.exec(select(Event))).all()
    assert [event.data for event in left] == [{"i": "pending"}]


async def test_a_commit_wakes_the_relay_of_its_session_factory(database_url, db, redis):
    project_id, _ = await create_project_key(database_url, "acme", Scope.ADMIN)
    relay = EventRelay(db, redis, idle_s=30)
    waiting = asyncio.create_task(relay.run_pass())
    await asyncio.sleep(0.2)
    async with db() as session:
        await outbox.record(session, project_id, catalogue.TEST, {})
        await session.commit()
    await asyncio.wait_for(waiting, 5)
    assert await relay.relay_batch() == 1


async def test_concurrent_writers_get_distinct_contiguous_sequence_numbers(database_url, db):
    project_id, _ = await create_project_key(database_url, "acme", Scope.ADMIN)

    async def write(i: int) -> Event:
        async with db() as session:
            row = await outbox.record(
                session, project_id, catalogue.TEST, {"i": i}, session_id="ses_1", room_name="r"
            )
            await session.commit()
            return row

    rows = await asyncio.gather(*(write(i) for i in range(20)))
    assert sorted(row.session_seq or 0 for row in rows) == list(range(1, 21))
    assert sorted(row.room_seq or 0 for row in rows) == list(range(1, 21))


async def test_purging_drops_the_counters_of_channels_left_without_events(database_url, db, redis):
    project_id, _ = await create_project_key(database_url, "acme", Scope.ADMIN)
    relay = EventRelay(db, redis)
    calls = {"ses_old": "r_old", "ses_recent": "r_recent", "ses_live": "r_live"}
    async with db() as session:
        session.add(CallSession(id="ses_live", project_id=project_id, room_name="r_live"))
        for session_id, room_name in calls.items():
            await outbox.record(
                session, project_id, catalogue.SESSION_STARTED, {}, **call_of(session_id, room_name)
            )
        await session.commit()
    assert await relay.relay_batch() == 3
    # Relayed 8 days ago: the ended call's and the live call's events; not the recent one's.
    events = Event.__table__  # type: ignore[attr-defined]
    async with db() as session:
        await session.exec(
            update(events)
            .where(events.c.session_id != "ses_recent")
            .values(relayed_at=utcnow() - timedelta(days=8))
        )
        await session.commit()
    assert await relay.purge() == 2
    async with db() as session:
        left = {row.channel for row in (await session.exec(select(EventChannel))).all()}
    kept = {"rooms", "room:r_recent", "session:ses_recent", "room:r_live", "session:ses_live"}
    assert left == kept
    # A late event of a purged channel numbers it from 1 again; the others go on.
    async with db() as session:
        late = await outbox.record(
            session, project_id, catalogue.TRANSCRIPT_NEW, {}, **call_of("ses_old", "r_old")
        )
        live = await outbox.record(
            session, project_id, catalogue.TRANSCRIPT_NEW, {}, **call_of("ses_live", "r_live")
        )
        await session.commit()
    assert (late.room_seq, late.session_seq) == (1, 1)
    assert (live.room_seq, live.session_seq) == (2, 2)


def call_of(session_id: str, room_name: str) -> dict[str, str]:
    return {"session_id": session_id, "room_name": room_name}
