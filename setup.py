"""Package layout that pyproject.toml cannot express: ``cli/`` is installed as ``wordlab.cli``."""

from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["wordlab", "wordlab.*"]) + ["wordlab.cli"],
    package_dir={"wordlab.cli": "cli"},
)
