"""Build step that puts the repository's rules/, grammar/ and examples/ inside the wheel.

The design keeps those folders at the top of the repository, where supervisors
read and edit them; an installed nianbao finds its copy in `nianbao/_bundled/`
through importlib.resources (see src/nianbao/paths.py). Everything else is in
pyproject.toml.
"""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

DATA = ("rules", "grammar", "examples")


class build_py_with_data(build_py):
    def run(self):
        super().run()
        root = Path(__file__).resolve().parent
        target = Path(self.build_lib) / "nianbao" / "_bundled"
        for name in DATA:
            if (root / name).is_dir():
                shutil.rmtree(target / name, ignore_errors=True)
                shutil.copytree(root / name, target / name,
                                ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"))


setup(cmdclass={"build_py": build_py_with_data})
