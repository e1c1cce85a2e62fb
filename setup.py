"""The one thing pyproject.toml cannot say: the package list, with mappings/ in it.

The built-in mapping files stay in the repository's top-level ``mappings/`` folder and ship in
the package as ``federator/mappings/*.yaml``: ``federator.mappings`` is a package whose folder
is ``mappings/`` (its files are package data, declared in pyproject.toml). Every package of
``federator/`` is found as pyproject's ``find`` would find it. Everything else is in
pyproject.toml.
"""

from setuptools import find_namespace_packages, setup

setup(
    packages=[*find_namespace_packages(include=["federator", "federator.*"]), "federator.mappings"],
    package_dir={"federator.mappings": "mappings"},
)
