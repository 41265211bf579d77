"""Events: the catalogue, the transactional outbox, the relay and the monitor WebSocket.

Writing an event (any domain's service, before its own commit)::

    from api.events import catalogue, outbox
    await outbox.record(db_session, project_id, catalogue.AGENT_CREATED, {"agent": ...},
                        session_id=None, room_name=None)
    await db_session.commit()   # the event exists if and only if the change does

Subscribing (webhooks, usage, recordings): one async function, registered in the app's
lifespan on the relay (`resources`-independent, built in `api/app.py`)::

    from api.events.relay import EventRelay
    from api.events.outbox import EventRecord

    async def on_events(session: AsyncSession, events: Sequence[EventRecord]) -> None:
        for event in events:          # ordered by creation time within the batch
            event.body()              # {"id","event_type","project_id","timestamp","data"}
            event.project_id, event.event_type, event.session_id, event.room_name
            session.add(...)          # e.g. one delivery row per matching endpoint

    relay.subscribe(on_events)        # api/app.py, before the relay job starts

The subscriber runs inside the transaction that marks the batch relayed: write with
`session`, never commit or roll it back. Raising rolls the batch back for every subscriber;
the relay then retries its events one by one at once, and an event refused on its own backs
off (2^n s, at most 5 min) while the others go on. So each event reaches each subscriber's
rows at least once, and exactly once per committed batch (a subscriber may be called again
with an event whose earlier batch rolled back: write idempotently, e.g. a unique key on
(endpoint, event id)). Events go out in creation order per batch; with two relays
(replicas) batches run concurrently, so order across batches is not guaranteed: use
`created_at` or the monitor's per-channel `seq` where order matters.

Relayed events are kept 7 days (`relay.RETENTION`) for the monitor's `since` replay, then
purged: keep your own copy of what you need longer (webhook deliveries store their body).
A room or session channel left without events (and without an active session) loses its
counter in the same pass; an event that comes for it later numbers it from 1 again
(`relay.purge_idle_channels` says why the monitor's ordering survives that).

`catalogue.EVENT_TYPES` lists every event type (for endpoint filters); `catalogue.TEST` is the
`test` event of `POST /webhooks/test` (record it like any other).
"""
