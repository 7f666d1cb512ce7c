import importlib.util
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "lenet_digits.py"


@pytest.mark.slow
@pytest.mark.skipif(not EXAMPLE.exists(), reason="examples/ not shipped")
def test_lenet_example_reaches_97_percent():
    spec = importlib.util.spec_from_file_location("lenet_digits", EXAMPLE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    _, acc = mod.train(verbose=0)
    assert acc >= 0.97
