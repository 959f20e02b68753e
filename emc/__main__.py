"""``python -m emc …`` runs the ``emc`` command (where the script is not on PATH)."""

from emc.cli import main

main()
