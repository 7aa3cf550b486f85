"""A base for middleware that runs natively in both stacks: WSGI (gunicorn gthread, tests)
and ASGI (uvicorn workers).

Django adapts a sync-only middleware under ASGI by running the rest of the chain through
``async_to_sync`` in a thread: one thread held for as long as the view runs. The API's waiting
views (``Prefer: wait`` and the job event stream) hold a request open for up to a minute, so
every middleware in front of them must be async-capable, or each waiting client would hold a
thread after all. Subclasses split their work into ``before`` (may answer early) and ``after``;
``blocking = True`` marks hooks that touch the database or cache, which then run in Django's
thread executor (``sync_to_async``) for that instant only. Pure hooks run inline on the event
loop, in the request's own context, so a context variable set in ``before`` is reset in
``after`` in the same context.
"""

from __future__ import annotations

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async


class HybridMiddleware:
    sync_capable = True
    async_capable = True
    blocking = False

    def __init__(self, get_response):
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def before(self, request):
        """Return a response to answer early (``after`` is then skipped), else None."""
        return None

    def after(self, request, response):
        return response

    def done(self, request) -> None:
        """Always called last (also after an exception): reset what ``before`` set."""

    def __call__(self, request):
        if self.is_async:
            return self._acall(request)
        try:
            early = self.before(request)
            if early is not None:
                return early
            return self.after(request, self.get_response(request))
        finally:
            self.done(request)

    async def _acall(self, request):
        cls = type(self)
        try:
            if self.blocking and cls.before is not HybridMiddleware.before:
                early = await sync_to_async(self.before)(request)
            else:
                early = self.before(request)
            if early is not None:
                return early
            response = await self.get_response(request)
            if self.blocking and cls.after is not HybridMiddleware.after:
                return await sync_to_async(self.after)(request, response)
            return self.after(request, response)
        finally:
            self.done(request)
