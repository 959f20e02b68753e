"""The production WSGI servers behind ``emc serve``.

On Linux (and any system with ``fork``) gunicorn runs several worker processes with a thread
pool each (gthread workers), so one server uses every core: a single Python process is bound
to one core by the GIL. Where there is no fork (Windows), waitress runs one multi-threaded
process. ``bench/api.py`` measures both.
"""

from __future__ import annotations

import os


def default_workers() -> int:
    """One worker per core, at least 2 and at most 8 (each holds its own connection pool)."""
    return max(2, min(8, os.cpu_count() or 1))


def can_fork() -> bool:
    return hasattr(os, "fork")


def run_gunicorn(app, host: str, port: int, *, workers: int, threads: int, on_master=None):
    """Serve ``app`` with gunicorn's gthread workers; ``on_master`` runs once in the master
    before the workers start (the job scheduler lives there, so exactly one runs)."""
    from gunicorn.app.base import BaseApplication

    class _Application(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread" if threads > 1 else "sync")
            self.cfg.set("keepalive", 5)
            self.cfg.set("graceful_timeout", 10)
            if on_master is not None:
                self.cfg.set("when_ready", lambda _server: on_master())

        def load(self):
            return app

    _Application().run()
