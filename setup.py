"""setuptools hooks for pyproject.toml: the version comes from levee.h, and
the build writes levee/_cdef.py (the header's declaration block) beside the
package, both through tools/gen-cdef, so neither is a second copy."""
import os
import shutil
import subprocess

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
HEADER = os.path.join(HERE, "include", "levee.h")
GEN = os.path.join(HERE, "tools", "gen-cdef")


class BuildWithDeclarations(build_py):
    """build_py, plus levee/_cdef.py generated from include/levee.h."""

    def run(self):
        # A module removed from the sources must not linger in the wheel.
        shutil.rmtree(os.path.join(self.build_lib, "levee"), ignore_errors=True)
        super().run()
        out = os.path.join(self.build_lib, "levee", "_cdef.py")
        subprocess.check_call(["sh", GEN, "python", HEADER, out])


setup(
    version=subprocess.check_output(["sh", GEN, "version", HEADER], text=True).strip(),
    cmdclass={"build_py": BuildWithDeclarations},
    # setuptools' own work files stay in the Makefile's build directory.
    options={"build": {"build_base": os.path.join("build", "python")},
             "egg_info": {"egg_base": os.path.join("build", "python")}},
)
