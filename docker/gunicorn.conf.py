"""gunicorn settings for the web image (overridable with GUNICORN_* / WEB_* env)."""

import json
import logging
import os
import shutil
import traceback

from gunicorn import glogging
from prometheus_client import multiprocess
from uvicorn_worker import UvicornWorker

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))


class JsonUvicornAccess(logging.Filter):
    """uvicorn's access lines as one JSON object each, like JsonAccessLogger below: the
    client's bytes in the path are escaped and cannot forge fields or lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) == 5:
            remote, method, path, version, status = record.args
            record.msg = json.dumps(
                {
                    "remote": remote,
                    "request": f"{method} {path} HTTP/{version}",
                    "status": status,
                },
                default=str,
            )
            record.args = ()
        return True


class AppUvicornWorker(UvicornWorker):
    """ASGI workers: the API's waiting requests (``Prefer: wait``, the job event stream) are
    awaited on each worker's event loop, so waiting clients hold no thread; ordinary (sync)
    views run in Django's thread executor. Proxy headers are left alone, as with gthread
    before: the app derives the client address itself (core/client_ip.py), and REMOTE_ADDR
    stays the TCP peer."""

    CONFIG_KWARGS = {**UvicornWorker.CONFIG_KWARGS, "proxy_headers": False}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        logging.getLogger("uvicorn.access").addFilter(JsonUvicornAccess())


# WEB_WORKER_CLASS=gthread serves a WSGI app (avatarsaas.wsgi:application) with threads.
worker_class = (
    AppUvicornWorker
    if os.environ.get("WEB_WORKER_CLASS", "uvicorn") == "uvicorn"
    else os.environ["WEB_WORKER_CLASS"]
)
threads = int(os.environ.get("WEB_THREADS", "4"))  # gthread only
# Heartbeat timeout of a worker (an async worker is not bound to one request).
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
max_requests = 2000  # recycle workers slowly: bounds any leak
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
# The app is served at /, never under a prefix, and no peer may move it there: gunicorn would
# otherwise take SCRIPT_NAME/PATH_INFO from request headers of any peer in forwarded_allow_ips,
# and with "*" that is every client (a path-based block at the ingress could be walked around).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
forwarder_headers = ""
# The client address is derived by the app (core/client_ip.py, TRUSTED_PROXY_HOPS/_CIDRS) from
# X-Forwarded-For; gunicorn's REMOTE_ADDR stays the TCP peer (the ingress).


class JsonAccessLogger(glogging.Logger):
    """One JSON object per access, like the app's own logs. Built with json.dumps, so a quote
    or newline in the request line or a header is escaped and cannot forge fields or lines
    (a printf-style format would paste the client's bytes between the quotes)."""

    def access(self, resp, req, environ, request_time):
        if not self.access_log_enabled:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        status = str(atoms.get("s", ""))
        entry = {
            "remote": atoms.get("h", "-"),
            "forwarded_for": atoms.get("{x-forwarded-for}i", "-"),
            "request": atoms.get("r", "-"),
            "status": int(status) if status.isdigit() else status,
            "bytes": atoms.get("b", "-"),
            "duration_us": atoms.get("D", 0),
            "request_id": atoms.get("{x-request-id}o", "-"),
        }
        try:
            self.access_log.info(json.dumps(entry, default=str))
        except Exception:  # noqa: BLE001 - like gunicorn's own access(): never fail a request
            self.error(traceback.format_exc())


logger_class = JsonAccessLogger


def on_starting(server):
    # A fresh directory per pod start: files of dead processes from an earlier run would be
    # summed into today's counters.
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path, exist_ok=True)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
