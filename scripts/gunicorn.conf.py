"""gunicorn settings for scripts/serve-production.sh (override any with GUNICORN_CMD_ARGS).

The app is built once in the master (``preload_app``): start-up work — building missing layers,
creating tables, seeding the ledger, picking up dropped-in layer files — runs once, not once
per worker at the same time. Each worker then drops the database connections it inherited.
"""

import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WORKERS", "4"))
threads = int(os.environ.get("THREADS", "4"))
worker_class = "gthread"
preload_app = True
timeout = int(os.environ.get("TIMEOUT", "120"))  # a 300 dpi A3 export or a pitch pack takes a while
graceful_timeout = 30
# Keep idle connections longer than clients and proxies reuse them (nginx upstream keepalive,
# browsers): a server closing a connection just as the client sends on it resets that request.
keepalive = 75
max_requests = 2000  # recycle workers now and then (matplotlib and GDAL keep caches)
max_requests_jitter = 200
accesslog = None  # the app writes its own JSON request lines (REQUEST_LOG)
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_fork(server, worker):
    app = worker.app.wsgi()
    app.extensions["atlas_db"].engine.dispose(close=False)
