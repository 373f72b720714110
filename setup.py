"""Package discovery for the layout in DESIGN.md.

Component folders live at the top of the repository (receivers/, processors/, ...) and
install as otelpy.receivers, otelpy.processors, ...; setuptools needs every sub-package
named, so they are listed here from the tree.
"""

from pathlib import Path

from setuptools import setup

ROOT = Path(__file__).parent
KINDS = ("receivers", "processors", "exporters", "connectors", "extensions")


def _packages() -> list[str]:
    found = []
    for init in sorted((ROOT / "otelpy").rglob("__init__.py")):
        found.append(".".join(init.parent.relative_to(ROOT).parts))
    for kind in KINDS:
        for init in sorted((ROOT / kind).rglob("__init__.py")):
            rel = init.parent.relative_to(ROOT).parts
            found.append(".".join(("otelpy", *rel)))
    return found


setup(packages=_packages())
