"""``emc serve``: gunicorn workers where fork exists, each starting a scheduler (the lease lets
one run jobs); waitress with one worker."""

from __future__ import annotations

import gc

import flask
import pytest
from click.testing import CliRunner

import emc.app
import emc.scheduler
import emc.server
from emc.cli import cli


@pytest.fixture(autouse=True)
def _unfrozen():
    """``emc serve`` freezes the heap it built (``emc.server.long_lived``); this test process
    goes on, so it gets its collector's objects back."""
    yield
    gc.unfreeze()


def _fake(monkeypatch):
    started, served = [], []
    fake = flask.Flask("fake")
    monkeypatch.setattr(emc.app, "create_app", lambda settings=None, **kw: fake)
    monkeypatch.setattr(emc.scheduler, "start_in_process", lambda s: started.append(s))
    return fake, started, served


def test_serve_runs_gunicorn_workers_each_starting_the_leased_scheduler(monkeypatch):
    fake, started, served = _fake(monkeypatch)
    monkeypatch.setattr(emc.server, "gunicorn_available", lambda: True)
    monkeypatch.setattr(emc.server, "default_workers", lambda: 3)

    def run_gunicorn(app, host, port, *, workers, threads, in_worker):
        served.append((app, workers, threads))
        in_worker()  # what each forked worker does
        in_worker()

    monkeypatch.setattr(emc.server, "run_gunicorn", run_gunicorn)
    result = CliRunner().invoke(cli, ["serve", "--threads", "4"])
    assert result.exit_code == 0, result.output
    assert served == [(fake, 3, 4)]
    # Both workers' schedulers run on the settings of the app, its pool one per thread and one.
    assert [settings.db_pool_size for settings in started] == [5, 5]


def test_serve_without_fork_uses_waitress_with_one_scheduler(monkeypatch):
    import waitress

    fake, started, served = _fake(monkeypatch)
    monkeypatch.setattr(emc.server, "gunicorn_available", lambda: False)
    monkeypatch.setattr(waitress, "serve", lambda app, **kw: served.append(kw["threads"]))
    assert CliRunner().invoke(cli, ["serve"]).exit_code == 0
    assert served == [8] and [settings.db_pool_size for settings in started] == [9]


def test_serve_builds_its_application_without_the_collector_and_freezes_what_it_built(
    monkeypatch,
):
    """The application is built with the cyclic collector off; what was built is then moved to
    the permanent generation, and the server runs with the collector on again."""
    import waitress

    fake, started, served = _fake(monkeypatch)
    monkeypatch.setattr(
        emc.app, "create_app", lambda settings=None, **kw: served.append(gc.isenabled()) or fake
    )
    monkeypatch.setattr(emc.server, "gunicorn_available", lambda: False)
    monkeypatch.setattr(
        waitress,
        "serve",
        lambda app, **kw: served.append((gc.isenabled(), gc.get_freeze_count() > 0)),
    )
    gc.unfreeze()
    assert CliRunner().invoke(cli, ["serve", "--no-scheduler"]).exit_code == 0
    assert served == [False, (True, True)]


def test_long_lived_leaves_a_disabled_collector_disabled():
    gc.disable()
    try:
        with emc.server.long_lived():
            assert not gc.isenabled()
        assert not gc.isenabled() and gc.get_freeze_count() > 0
    finally:
        gc.enable()
