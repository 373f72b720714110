"""Package discovery for the layout in DESIGN.md.

Component folders live at the top of the repository (receivers/, processors/, ...) and
install as otelpy.receivers, otelpy.processors, ...; setuptools needs every sub-package
named, so they are listed here from the tree. Each C file in otelpy/native/ builds into
otelpy.native._<name> (see otelpy/native/README.md).
"""

from pathlib import Path

from setuptools import Extension, setup

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


def _extensions() -> list[Extension]:
    native = ROOT / "otelpy" / "native"
    headers = sorted(str(h.relative_to(ROOT)) for h in native.glob("*.h"))
    return [
        Extension(f"otelpy.native._{c.stem}", [str(c.relative_to(ROOT))], depends=headers,
                  extra_compile_args=["-O2", "-std=c11", "-Wall", "-Wextra",
                                      "-Wno-unused-parameter", "-Wno-missing-field-initializers"])
        for c in sorted(native.glob("*.c"))
    ]


setup(packages=_packages(), ext_modules=_extensions(),
      package_data={"otelpy.native": ["*.pyi"]})
