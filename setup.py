"""Only what pyproject.toml cannot say: every intake package, plus plugins/ as intake.builtin.

setuptools' automatic discovery cannot map a folder outside intake/ to a sub-package
of it; this keeps discovery automatic for intake/ and adds the one mapped package.
Namespace discovery also lists the folders that hold only data (catalogues, report
templates, web pages), so their files ship as package data without a warning.
"""

from setuptools import find_namespace_packages, setup

setup(packages=[*find_namespace_packages(include=["intake", "intake.*"]), "intake.builtin"])
