"""Thread limits shared by every estimator that runs BLAS inside its own threads."""

from fastml.utils._sklearn import _get_threadpool_controller


def single_threaded_blas():
    """Context manager limiting BLAS to one thread.

    Used around kernels whose OpenMP threads each call BLAS on their own tile
    (threaded BLAS inside a parallel region would oversubscribe the cores),
    and around small BLAS calls where waking BLAS threads costs more than it
    saves. scikit-learn's controller is cached: building a new
    ``threadpool_limits`` re-inspects every loaded library (~5-20 ms a call).
    """
    return _get_threadpool_controller().limit(limits=1, user_api="blas")
