"""Only what pyproject.toml cannot say: every intake package, plus plugins/ as intake.builtin.

setuptools' automatic discovery cannot map a folder outside intake/ to a sub-package
of it; this keeps discovery automatic for intake/ and adds the one mapped package.
"""

from setuptools import find_packages, setup

setup(packages=[*find_packages(include=["intake", "intake.*"]), "intake.builtin"])
