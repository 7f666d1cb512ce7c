"""The package itself: import, the compiled BLAS wrappers, patching, the CLI."""

import subprocess
import sys

import numpy as np
import pytest
from numpy.testing import assert_allclose

import fastml
from fastml.__main__ import main
from fastml._bench import BenchCase, discover_cases, format_table, run_case
from fastml._cy import _blas


def test_import_comes_from_an_installed_build():
    # the compiled kernels must be importable: tests run against the build
    assert _blas.__file__.endswith((".so", ".pyd"))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_blas_gemm_wrapper_matches_numpy(dtype):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((7, 5)).astype(dtype)
    b = rng.standard_normal((5, 3)).astype(dtype)
    c = np.zeros((7, 3), dtype=dtype)
    # Python-float alpha would make Cython pick the double specialisation
    gemm = _blas._gemm_memview["float" if dtype == np.float32 else "double"]
    gemm(_blas.BLAS_Trans.NoTrans, _blas.BLAS_Trans.NoTrans, 1.0, a, b, 0.0, c)
    assert_allclose(c, a @ b, rtol=1e-5 if dtype == np.float32 else 1e-12)


def test_patch_and_unpatch_restore_sklearn():
    import sklearn.cluster

    before = {n: getattr(sklearn.cluster, n) for n in dir(sklearn.cluster)}
    patched = fastml.patch_sklearn()
    try:
        for dotted in patched:
            mod_name, name = dotted.rsplit(".", 1)
            obj = getattr(sys.modules[mod_name], name)
            assert obj.__module__.startswith("fastml"), dotted
    finally:
        fastml.unpatch_sklearn()
    after = {n: getattr(sklearn.cluster, n) for n in dir(sklearn.cluster)}
    assert before == after


def _toy_case():
    return BenchCase(
        estimator="sum",
        data="toy 10",
        make_data=lambda: np.arange(10.0),
        run_fastml=lambda x: x.sum(),
        run_sklearn=lambda x: float(np.sum(x)),
        parity=lambda a, b: f"|d|={abs(a - b):.0e}",
        repeat=2,
    )


def test_bench_runner_times_both_sides_and_reports_parity():
    result = run_case(_toy_case())
    assert result.parity == "|d|=0e+00"
    assert result.fastml_s >= 0 and result.sklearn_s >= 0
    table = format_table([result])
    assert "sum" in table and "toy 10" in table and "speed-up" in table
    md = format_table([result], markdown=True)
    assert md.splitlines()[0].startswith("| estimator")


def test_every_bench_case_is_well_formed():
    for case in discover_cases():
        assert isinstance(case, BenchCase)
        assert case.estimator and case.data and case.repeat >= 1


def test_cli_lists_cases(capsys):
    assert main(["bench", "--list"]) == 0
    out = capsys.readouterr().out
    assert len(out.splitlines()) == len(discover_cases())


def test_cli_rejects_unknown_command():
    with pytest.raises(SystemExit):
        main(["frobnicate"])


def test_python_dash_m_entry_point():
    proc = subprocess.run(
        [sys.executable, "-P", "-m", "fastml", "bench", "--list"],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
