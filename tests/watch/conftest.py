import sys
from pathlib import Path

# The M&V tests' helpers (a fresh project with a daily meter and its plan).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "mv"))
