"""gunicorn settings of a production portal: ``gunicorn -c gunicorn.conf.py``.

Every value can be set from the environment (the systemd unit does), so the
same file serves a small and a large portal.
"""
import multiprocessing
import os

_here = os.path.dirname(os.path.abspath(__file__))

wsgi_app = "wsgi:application"
pythonpath = os.environ.get("SATUDATA_WSGI_DIR", _here)
bind = os.environ.get("SATUDATA_BIND", "127.0.0.1:8080")
# Sync workers: CKAN is not async-safe. 2 per core plus one is gunicorn's rule of thumb.
workers = int(os.environ.get("SATUDATA_WEB_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = int(os.environ.get("SATUDATA_WEB_TIMEOUT", "120"))  # uploads and big searches
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then (memory growth in long-lived processes).
max_requests = int(os.environ.get("SATUDATA_WEB_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
# No preload: each worker builds the app and opens its own database and Redis
# connections after the fork (connections must not be shared between processes).
preload_app = False
# nginx in front sets X-Forwarded-For/Proto; trust it only from loopback.
forwarded_allow_ips = os.environ.get("SATUDATA_FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("SATUDATA_ACCESS_LOG", "-")
errorlog = os.environ.get("SATUDATA_ERROR_LOG", "-")
proc_name = "ckan-satudata"
