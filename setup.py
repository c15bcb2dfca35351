"""Package layout that pyproject.toml cannot express: ``cli/`` is installed as ``wordlab.cli``."""

from setuptools import find_packages, setup

setup(
    # serve/static holds the web page's files (no __init__.py): a data package, named so that setuptools ships it
    packages=find_packages(include=["wordlab", "wordlab.*"]) + ["wordlab.cli", "wordlab.serve.static"],
    package_dir={"wordlab.cli": "cli"},
)
