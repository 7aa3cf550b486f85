"""How satisfied a workspace (or the whole service) is with the ranking, over a window.

- *Top-1 agreement*: of the jobs whose choice (pick, else download, else thumbs up; see
  `feedback`) was made in the window, the share where the chosen candidate is the one the
  worker ranked first. Jobs ranked before ranks were stored are left out.
- *Thumbs-up rate*: of the votes cast in the window and still standing, the share that are up.

Both read indexed columns only (`GenerationJob.chosen_at`, `ImageFeedback.voted_at`, each
also with the tenant first), so /metrics can compute them at every scrape.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q

from generation.models import GenerationJob, ImageFeedback, Vote


@dataclass(frozen=True)
class Satisfaction:
    choices: int = 0
    top_ranked_chosen: int = 0
    votes_up: int = 0
    votes_down: int = 0

    @property
    def top1_rate(self) -> float | None:
        return self.top_ranked_chosen / self.choices if self.choices else None

    @property
    def votes(self) -> int:
        return self.votes_up + self.votes_down

    @property
    def thumbs_up_rate(self) -> float | None:
        return self.votes_up / self.votes if self.votes else None


def measure(*, since: datetime, tenant=None) -> Satisfaction:
    """The measure for one workspace, or for every workspace when `tenant` is None."""
    jobs = GenerationJob.objects.filter(chosen_at__gte=since, chosen_rank__isnull=False)
    votes = ImageFeedback.objects.filter(voted_at__gte=since).exclude(vote="")
    if tenant is not None:
        jobs, votes = jobs.filter(tenant=tenant), votes.filter(tenant=tenant)
    chosen = jobs.aggregate(n=Count("pk"), top=Count("pk", filter=Q(chosen_rank=1)))
    cast = votes.aggregate(
        up=Count("pk", filter=Q(vote=Vote.UP)), down=Count("pk", filter=Q(vote=Vote.DOWN))
    )
    return Satisfaction(
        choices=chosen["n"],
        top_ranked_chosen=chosen["top"],
        votes_up=cast["up"],
        votes_down=cast["down"],
    )
