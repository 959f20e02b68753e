"""Packaging glue that pyproject.toml cannot express on its own.

The Jinja templates and the Alembic history live at the top of the repository (``templates/``,
``migrations/``) so that they are easy to find and review, but they must ship inside the wheel.
They are mapped into the package as ``emc/templates`` and ``emc/migrations``;
``emc.paths`` finds them in either place.
"""

from setuptools import find_packages, setup

SHIPPED_DIRS = {"emc.templates": "templates", "emc.migrations": "migrations"}

setup(
    packages=find_packages(include=["emc", "emc.*"]) + list(SHIPPED_DIRS),
    package_dir=SHIPPED_DIRS,
    package_data={
        "emc": ["static/**/*", "translations/*/LC_MESSAGES/*", "data/*"],
        "emc.templates": ["*.html", "**/*.html"],
        "emc.migrations": ["*.py", "*.mako", "versions/*.py"],
    },
)
