"""GET /metrics: what an operator watches, in Prometheus' text format.

Deliveries by platform, kind and outcome; the outbox's backlog and how long its oldest message
has waited; each endpoint's latency; use cases that broke. Each app has its own registry, so
several Pepptalks in one process (tests, the playground beside a real server) count apart.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from pepptalk.bot.services import Services

# Acks must come within Slack's 3 s: the buckets are finest below that.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class _Counts(Collector):
    """Reads the counts Pepptalk keeps anyway, at scrape time."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.backlog: tuple[int, float] | None = None

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        deliveries = CounterMetricFamily(
            "pepptalk_deliveries",
            "Proactive messages by platform, kind and outcome (sent, skipped, failed, retried)",
            labels=["platform", "kind", "outcome"],
        )
        for (platform, kind, outcome), count in sorted(self.services.delivered.items()):
            deliveries.add_metric([platform, kind, outcome], count)
        yield deliveries
        failures = CounterMetricFamily(
            "pepptalk_handler_errors",
            "Requests whose handling broke with an error (the person got a calm apology)",
            labels=["handling"],
        )
        for what, count in sorted(self.services.habits.failures.items()):
            failures.add_metric([what], count)
        yield failures
        syncs = CounterMetricFamily(
            "pepptalk_crm_syncs",
            "CRM syncs by CRM and outcome (done, or what stopped it: revoked, scope, address, "
            "down, limit)",
            labels=["crm", "outcome"],
        )
        for (crm, outcome), count in sorted(self.services.policy.crm.outcomes.items()):
            syncs.add_metric([crm, outcome], count)
        yield syncs
        if self.backlog is not None:
            pending, oldest = self.backlog
            yield GaugeMetricFamily(
                "pepptalk_outbox_pending", "Messages due and not yet sent", value=pending
            )
            yield GaugeMetricFamily(
                "pepptalk_outbox_oldest_pending_seconds",
                "How long the oldest message due has waited",
                value=oldest,
            )


class Observability:
    """The registry behind /metrics, and the middleware that times each request."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.registry = CollectorRegistry()
        self._counts = _Counts(services)
        self.registry.register(self._counts)
        self.latency = Histogram(
            "pepptalk_request_seconds",
            "Time to answer an HTTP request, by endpoint",
            ["endpoint"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

    @web.middleware
    async def timing(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Time every request by its route (not its path: a path may carry a token)."""
        started = time.perf_counter()
        try:
            return await handler(request)
        finally:
            route = request.match_info.route.resource
            endpoint = route.canonical if route is not None else "unmatched"
            self.latency.labels(endpoint).observe(time.perf_counter() - started)

    async def metrics(self, _request: web.Request) -> web.Response:
        """The figures, with the outbox read now."""
        try:
            async with self.services.database.uow() as uow:
                self._counts.backlog = await uow.outbox.backlog(now=self.services.clock())
        except (SQLAlchemyError, OSError):
            # The database being down is /healthz's to say; the rest still counts.
            self._counts.backlog = None
        body = generate_latest(self.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
