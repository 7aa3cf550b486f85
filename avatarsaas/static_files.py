"""WhiteNoise, usable in an async middleware chain (see core.hybrid_middleware)."""

from __future__ import annotations

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from whitenoise.middleware import WhiteNoiseMiddleware


class HybridWhiteNoiseMiddleware(WhiteNoiseMiddleware):
    """WhiteNoise 6 is sync-only, which under ASGI would put every request's chain on a
    thread. Here a request that is not for a static file passes straight through; a static
    file is opened in a thread (WhiteNoise's serve stats and opens it)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response=None, settings=None):
        if settings is None:
            super().__init__(get_response)
        else:
            super().__init__(get_response, settings)
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request):
        if not self.is_async:
            return super().__call__(request)
        return self._acall(request)

    async def _acall(self, request):
        if self.autorefresh:
            static_file = await sync_to_async(self.find_file)(request.path_info)
        else:
            static_file = self.files.get(request.path_info)
        if static_file is not None:
            return await sync_to_async(self.serve)(static_file, request)
        return await self.get_response(request)
