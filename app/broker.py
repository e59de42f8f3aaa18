"""The Dramatiq broker: Redis in production, any broker in tests."""

from __future__ import annotations

import logging

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import CurrentMessage
from periodiq import PeriodiqMiddleware

logger = logging.getLogger(__name__)


def add_project_middleware(broker: dramatiq.Broker) -> dramatiq.Broker:
    """Add what the actors rely on: the current message (for retry counts and trigger
    times) and periodiq's middleware, which drops a scheduled tick older than a minute."""
    present = {type(m) for m in broker.middleware}
    if CurrentMessage not in present:
        broker.add_middleware(CurrentMessage())
    if PeriodiqMiddleware not in present:
        broker.add_middleware(PeriodiqMiddleware(skip_delay=60))
    return broker


# Dramatiq's defaults (a 60 s heartbeat, maintenance on 0.1 % of commands) can leave the
# messages of a killed worker unclaimed for many minutes on a quiet queue. A worker's consumer
# threads refresh the heartbeat on every fetch, about once a second, so 30 s stays safe.
HEARTBEAT_TIMEOUT_MILLISECONDS = 30_000
MAINTENANCE_CHANCE_PER_MILLION = 20_000


def create_redis_broker(url: str) -> RedisBroker:
    broker = RedisBroker(
        url=url,
        heartbeat_timeout=HEARTBEAT_TIMEOUT_MILLISECONDS,
        maintenance_chance=MAINTENANCE_CHANCE_PER_MILLION,
    )
    return add_project_middleware(broker)


def use_broker(broker: dramatiq.Broker) -> dramatiq.Broker:
    """Make broker the global one and move every declared actor onto it (tests switch between
    the stub broker and Redis this way)."""
    previous = dramatiq.get_broker()
    add_project_middleware(broker)
    dramatiq.set_broker(broker)
    for name in list(previous.actors):
        actor = previous.get_actor(name)
        actor.broker = broker
        broker.declare_actor(actor)
    return broker
