"""gunicorn settings for the web image (overridable with GUNICORN_* / WEB_* env)."""

import json
import os
import shutil
import traceback

from gunicorn import glogging
from prometheus_client import multiprocess

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
worker_class = "gthread"
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
