"""Day-type daily model vs classic CalTRACK on 200 synthetic schools: ``python bench/calendar.py``.

The benchmark itself is in ``bench/calendar_model.py`` (see its docstring for what is
simulated and printed). This file has the name the issue asks for, which is also the name of the
standard library's ``calendar``: any script run from ``bench/`` puts this folder first on
``sys.path``, so when the standard library imports ``calendar`` it finds this file. Imported
that way, it loads and becomes the real standard-library module.
"""

import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    sys.path[0] = str(_HERE.parent)
    from bench.calendar_model import main

    main()
else:
    import importlib.util
    import sysconfig

    _spec = importlib.util.spec_from_file_location(
        "calendar", Path(sysconfig.get_paths()["stdlib"]) / "calendar.py"
    )
    _real = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_real)
    sys.modules["calendar"] = _real
    globals().update({k: v for k, v in vars(_real).items() if not k.startswith("__")})
