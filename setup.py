"""Compiles the message catalogs (.po -> .mo) into what a build installs; everything else about
the package is in pyproject.toml."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithCatalogs(build_py):
    def run(self) -> None:
        super().run()
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        source = Path(__file__).parent / "bot" / "locales"
        for po in source.glob("*/LC_MESSAGES/onward.po"):
            with po.open("rb") as fileobj:
                catalog = read_po(fileobj)
            relative = po.relative_to(source).with_suffix(".mo")
            # Next to the .po as well, so an editable install has them without a first use.
            for root in (Path(self.build_lib) / "bot" / "locales", source):
                out = root / relative
                out.parent.mkdir(parents=True, exist_ok=True)
                with out.open("wb") as fileobj:
                    write_mo(fileobj, catalog, use_fuzzy=False)


setup(cmdclass={"build_py": BuildWithCatalogs})
