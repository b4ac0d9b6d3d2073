"""What the extension's jobs share, below the pillars: whether a queued job
is still alive (queued, or started by a worker that still runs)."""
from __future__ import annotations

import os
import socket

import rq
from ckan.lib import jobs as ckan_jobs
from ckan.lib.redis import connect_to_redis

__all__ = ["job_alive"]


def job_alive(job_id: str | None) -> bool:
    """Queued, or started by a worker that still runs."""
    if not job_id:
        return False
    try:
        job = ckan_jobs.job_from_id(job_id)
    except KeyError:
        return False
    status = job.get_status()
    if status in ("queued", "deferred", "scheduled"):
        return True
    return status == "started" and _worker_alive(job.worker_name)


def _worker_alive(worker_name: str | None) -> bool:
    """The worker's Redis key lives while it heartbeats (every 30 s, 90 s TTL);
    on this host its process is checked too, so a killed worker is seen at once."""
    if not worker_name:
        return False
    worker = rq.Worker.find_by_key(rq.Worker.redis_worker_namespace_prefix + worker_name,
                                   connection=connect_to_redis())
    if worker is None:
        return False
    if worker.hostname == socket.gethostname() and worker.pid:
        try:
            os.kill(worker.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
    return True
