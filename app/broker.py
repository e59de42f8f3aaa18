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


def create_redis_broker(url: str) -> RedisBroker:
    return add_project_middleware(RedisBroker(url=url))


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
