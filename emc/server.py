"""The production WSGI servers behind ``emc serve``.

On Linux (and any system with ``fork``) gunicorn runs several worker processes with a thread
pool each (gthread workers), so one server uses every core: a single Python process is bound
to one core by the GIL. Where there is no fork (Windows), waitress runs one multi-threaded
process. ``bench/api.py`` measures both.
"""

from __future__ import annotations

import contextlib
import gc
import os


@contextlib.contextmanager
def long_lived():
    """Build what a server process keeps for its whole life (modules, models, routes, the
    application) without the cyclic garbage collector, then move all of it to the collector's
    permanent generation (``gc.freeze``), the recipe the ``gc`` module documents for servers
    that fork.

    Building emc's application allocates about 170,000 tracked objects, none of them garbage:
    collecting while they were made was an eighth of starting ``emc serve``, and afterwards
    every full collection walked them all again (about 60 ms on this machine, during whichever
    request set it off). Frozen, they are never walked; gunicorn's workers also keep sharing
    their pages with the master instead of copying them when a collection touches them."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def default_workers() -> int:
    """One worker per core, at least 2 and at most 8 (each holds its own connection pool)."""
    return max(2, min(8, os.cpu_count() or 1))


def can_fork() -> bool:
    return hasattr(os, "fork")


def gunicorn_available() -> bool:
    if not can_fork():
        return False
    try:
        import gunicorn  # noqa: F401
    except ImportError:
        return False
    return True


def run_gunicorn(app, host: str, port: int, *, workers: int, threads: int, in_worker=None):
    """Serve ``app`` with gunicorn's gthread workers (sync with one thread). ``in_worker`` runs
    in each worker once it has forked: the job scheduler starts there, and its database lease
    lets only one of them run jobs at a time (a worker that dies hands the lease on)."""
    from gunicorn.app.base import BaseApplication

    class _Application(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread" if threads > 1 else "sync")
            self.cfg.set("keepalive", 5)
            self.cfg.set("graceful_timeout", 10)
            # Each worker opens its own connections: none inherited from the master.
            self.cfg.set("post_fork", lambda _server, _worker: _dispose_pools(app))
            if in_worker is not None:
                self.cfg.set("post_worker_init", lambda _worker: in_worker())

        def load(self):
            return app

    _Application().run()


def _dispose_pools(app) -> None:
    """Forget the connections the master opened (the migration check): two processes on one
    connection mix their queries. Middleware (``.app``) is looked through."""
    while not hasattr(app, "extensions") and hasattr(app, "app"):
        app = app.app
    factory = getattr(app, "extensions", {}).get("emc.session_factory")
    bind = factory.kw.get("bind") if factory is not None else None
    if bind is not None and hasattr(bind, "dispose"):
        bind.dispose(close=False)
