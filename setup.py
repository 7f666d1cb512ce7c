"""Build fastml's Cython kernels: every src_cy/<name>.pyx becomes fastml._cy.<name>.

Compiled with -O3 and OpenMP. ``FASTML_DEBUG_CYTHON=1`` turns bounds checks on
(for hunting a kernel's out-of-bounds access; never for releases).
"""

import filecmp
import glob
import os
import shutil
import sys

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup

HERE = os.path.dirname(os.path.abspath(__file__))
DEBUG = os.environ.get("FASTML_DEBUG_CYTHON", "0") == "1"


def _mirror_pxd():
    """Copy src_cy/*.pxd to build/pxd/fastml/_cy/ so `cimport fastml._cy.x` resolves."""
    root = os.path.join(HERE, "build", "pxd")
    pkg = os.path.join(root, "fastml", "_cy")
    os.makedirs(pkg, exist_ok=True)
    for d in (os.path.join(root, "fastml"), pkg):
        init = os.path.join(d, "__init__.pxd")
        if not os.path.exists(init):
            open(init, "w").close()
    # Copy only what changed: a fresh mtime on a .pxd makes Cython rebuild
    # every extension that cimports it.
    for pxd in glob.glob(os.path.join(HERE, "src_cy", "*.pxd")):
        target = os.path.join(pkg, os.path.basename(pxd))
        if not (os.path.exists(target) and filecmp.cmp(pxd, target, shallow=False)):
            shutil.copy2(pxd, target)
    return root


def _openmp_flags():
    if sys.platform == "win32":
        return ["/openmp"], []
    if sys.platform == "darwin":  # Apple clang needs libomp; build serial there
        return [], []
    return ["-fopenmp"], ["-fopenmp"]


def _extensions():
    omp_compile, omp_link = _openmp_flags()
    compile_args = ["-O3", "-g0"] + omp_compile if sys.platform != "win32" else ["/O2"] + omp_compile
    exts = []
    for pyx in sorted(glob.glob(os.path.join("src_cy", "*.pyx"))):
        name = os.path.splitext(os.path.basename(pyx))[0]
        exts.append(
            Extension(
                f"fastml._cy.{name}",
                [pyx],
                include_dirs=[np.get_include()],
                define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_9_API_VERSION")],
                extra_compile_args=compile_args,
                extra_link_args=omp_link,
            )
        )
    return exts


# Directives live here once, not in file headers (as scikit-learn's meson.build).
directives = {
    "language_level": 3,
    "boundscheck": DEBUG,
    "wraparound": False,
    "initializedcheck": DEBUG,
    "nonecheck": False,
    "cdivision": True,
    "cpow": True,
    "embedsignature": True,
}

setup(
    # compile extensions in parallel (CI has 2 cores)
    options={"build_ext": {"parallel": int(os.environ.get("FASTML_BUILD_JOBS", "2"))}},
    ext_modules=cythonize(
        _extensions(),
        include_path=[_mirror_pxd(), os.path.join(HERE, "src_cy")],
        compiler_directives=directives,
        nthreads=int(os.environ.get("FASTML_BUILD_JOBS", "2")),
    ),
)
