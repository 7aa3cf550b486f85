"""Job, queue, fine-tune and webhook metrics computed from the database at scrape time.

Why from the database and not from counters incremented in the workers: GPU workers are many
processes on many hosts and serve no HTTP, and a prometheus-client multiprocess directory only
aggregates processes of one host. The job row is already the source of truth (timestamps,
engine seconds), so every web replica that answers a scrape reports the same, complete numbers
whatever the number of worker processes, and a worker killed mid-job loses no observation.

The price: job histograms cover jobs *finished in a sliding window* (METRICS_WINDOW_SECONDS),
so they are gauges in histogram shape. Query them without ``rate()``:
``histogram_quantile(0.95, max without(instance, pod) (avatarsaas_job_duration_seconds_bucket))``.
Each query is bounded by indexed columns (status, queued_at, finished_at / next_attempt_at;
chosen_at and voted_at for the ranking-satisfaction gauges, which use their own, longer window:
AVATARSAAS_SATISFACTION_WINDOW_SECONDS, a day by default, since picks are sparse), so a scrape
costs the same at a million past jobs as at none (`bench/queue_bench.py --scale`).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily

from generation.models import GenerationJob, WebhookDelivery
from generation.quality import satisfaction
from generation.selectors import jobs_finished_since

logger = logging.getLogger(__name__)

DURATION_BUCKETS = (0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800)
QUEUE_WAIT_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900)
ACTIVE = ("queued", "running")
TERMINAL = ("succeeded", "failed", "canceled")


def window_seconds() -> int:
    return int(getattr(settings, "METRICS_WINDOW_SECONDS", 900))


def satisfaction_window_seconds() -> int:
    return int(getattr(settings, "AVATARSAAS_SATISFACTION_WINDOW_SECONDS", 86400))


def _histogram(name, doc, rows, buckets, *, field_name, is_duration) -> HistogramMetricFamily:
    """Cumulative buckets for `field_name` over `rows`, counted by the database in one query."""

    def bound(b):
        return timedelta(seconds=b) if is_duration else b

    aggregates = {
        f"le_{i}": Count("pk", filter=Q(**{f"{field_name}__lte": bound(b)}))
        for i, b in enumerate(buckets)
    }
    result = rows.aggregate(total=Count("pk"), total_sum=Sum(field_name), **aggregates)
    total_sum = result["total_sum"] or 0
    if is_duration and total_sum:
        total_sum = total_sum.total_seconds()
    family = HistogramMetricFamily(name, doc, labels=[])
    family.add_metric(
        [],
        [(str(float(b)), result[f"le_{i}"]) for i, b in enumerate(buckets)]
        + [("+Inf", result["total"])],
        float(total_sum),
    )
    return family


def _finished_jobs(now):
    return jobs_finished_since(now - timedelta(seconds=window_seconds()))


class DatabaseCollector:
    """A prometheus-client collector; registered on the registry the /metrics view renders."""

    def describe(self):
        # Without it, registering would run collect() (queries) at import time.
        return []

    def collect(self):
        parts = (self._jobs, self._queue_depth, self._finetunes, self._webhooks, self._quality)
        for part in parts:
            try:
                yield from part()
            except Exception:  # noqa: BLE001 - one broken source must not blank the scrape
                logger.exception("metrics: %s failed", part.__name__)

    def _jobs(self):
        now = timezone.now()
        window = window_seconds()
        jobs = GenerationJob.objects
        counts = dict.fromkeys(ACTIVE + TERMINAL, 0)
        for row in jobs.filter(status__in=ACTIVE).values("status").annotate(n=Count("pk")):
            counts[row["status"]] = row["n"]
        finished = _finished_jobs(now)
        for row in finished.values("status").annotate(n=Count("pk")):
            counts[row["status"]] = row["n"]
        family = GaugeMetricFamily(
            "avatarsaas_jobs",
            f"Jobs by status: queued/running now; terminal ones finished in the last {window}s.",
            labels=["status"],
        )
        for status, n in counts.items():
            family.add_metric([status], n)
        yield family

        run = finished.filter(started_at__isnull=False, cache_hit=False).annotate(
            run=ExpressionWrapper(F("finished_at") - F("started_at"), output_field=DurationField())
        )
        yield _histogram(
            "avatarsaas_job_duration_seconds",
            f"Wall time from first start to finish of jobs finished in the last {window}s.",
            run,
            DURATION_BUCKETS,
            field_name="run",
            is_duration=True,
        )
        wait = finished.filter(started_at__isnull=False, cache_hit=False).annotate(
            wait=ExpressionWrapper(F("started_at") - F("queued_at"), output_field=DurationField())
        )
        yield _histogram(
            "avatarsaas_job_queue_wait_seconds",
            f"Queued-to-first-start wait of jobs finished in the last {window}s.",
            wait,
            QUEUE_WAIT_BUCKETS,
            field_name="wait",
            is_duration=True,
        )
        yield _histogram(
            "avatarsaas_job_engine_seconds",
            f"GPU/engine time inside the renderer per job, last {window}s (succeeded jobs).",
            finished.filter(status="succeeded", engine_seconds__isnull=False, cache_hit=False),
            DURATION_BUCKETS,
            field_name="engine_seconds",
            is_duration=False,
        )
        oldest = (
            jobs.filter(status="queued").order_by("queued_at").values_list("queued_at", flat=True)
        ).first()
        age = GaugeMetricFamily(
            "avatarsaas_oldest_queued_job_age_seconds",
            "Age of the oldest queued job (0 when none): the backlog alarm.",
        )
        age.add_metric([], (now - oldest).total_seconds() if oldest else 0.0)
        yield age

    def _queue_depth(self):
        from django_q.brokers import get_broker

        family = GaugeMetricFamily(
            "avatarsaas_queue_depth",
            "Messages waiting in the django-q broker, by cluster queue (nudges, not jobs).",
            labels=["queue"],
        )
        for queue in ("default", "gpu"):
            family.add_metric([queue], get_broker(queue).queue_size())
        yield family

    def _finetunes(self):
        # The styles app grows fine-tunes on its own schedule: report them once they exist.
        try:
            FineTune = apps.get_model("styles", "FineTune")
        except LookupError:
            return
        field = next(
            (n for n in ("status", "state") if any(f.name == n for f in FineTune._meta.fields)),
            None,
        )
        if field is None:
            return
        family = GaugeMetricFamily(
            "avatarsaas_finetunes", "Fine-tune requests by state.", labels=["state"]
        )
        counts = {str(value): 0 for value, _ in FineTune._meta.get_field(field).choices or []}
        for row in FineTune.objects.values(field).annotate(n=Count("pk")).order_by():
            counts[str(row[field])] = row["n"]
        for state, n in counts.items():
            family.add_metric([state], n)
        yield family

    def _webhooks(self):
        now = timezone.now()
        failing = WebhookDelivery.objects.filter(
            next_attempt_at__isnull=False, status=WebhookDelivery.Status.FAILED
        ).count()
        gave_up = WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.GAVE_UP,
            created_at__gte=now - timedelta(seconds=window_seconds()),
        ).count()
        family = GaugeMetricFamily(
            "avatarsaas_webhook_delivery_failures",
            "Webhook deliveries failing: 'retrying' now, 'gave_up' created in the window.",
            labels=["state"],
        )
        family.add_metric(["retrying"], failing)
        family.add_metric(["gave_up"], gave_up)
        yield family

    def _quality(self):
        now = timezone.now()
        window = window_seconds()
        rejected = _finished_jobs(now).aggregate(n=Sum("rejected_candidates"))["n"] or 0
        family = GaugeMetricFamily(
            "avatarsaas_candidates_rejected",
            f"Renders rejected before ranking (blank, badly framed, flagged) and re-rolled, in "
            f"jobs finished in the last {window}s.",
        )
        family.add_metric([], rejected)
        yield family

        long_window = satisfaction_window_seconds()
        measured = satisfaction.measure(since=now - timedelta(seconds=long_window))
        choices = GaugeMetricFamily(
            "avatarsaas_ranking_choices",
            f"Jobs whose candidate was picked (or downloaded, or voted up) in the last "
            f"{long_window}s, by whether the worker had ranked it first.",
            labels=["top_ranked"],
        )
        choices.add_metric(["yes"], measured.top_ranked_chosen)
        choices.add_metric(["no"], measured.choices - measured.top_ranked_chosen)
        yield choices
        votes = GaugeMetricFamily(
            "avatarsaas_feedback_votes",
            f"Thumbs up/down on candidates cast in the last {long_window}s (still standing).",
            labels=["vote"],
        )
        votes.add_metric(["up"], measured.votes_up)
        votes.add_metric(["down"], measured.votes_down)
        yield votes
        ratio = GaugeMetricFamily(
            "avatarsaas_satisfaction_ratio",
            f"Over the last {long_window}s: top1_agreement (share of choices that were the "
            "first-ranked candidate) and thumbs_up (share of votes that are up); absent when "
            "there is nothing to divide.",
            labels=["measure"],
        )
        if measured.top1_rate is not None:
            ratio.add_metric(["top1_agreement"], measured.top1_rate)
        if measured.thumbs_up_rate is not None:
            ratio.add_metric(["thumbs_up"], measured.thumbs_up_rate)
        yield ratio
