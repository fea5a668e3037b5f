"""The glitch filter's row median equals numpy's nanmedian exactly (odd and even counts,
NaNs anywhere, ties), so dropping numpy.ma from the start-up path changes no verdict."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from stridepod.recovery.baseline import row_nanmedian

values = st.one_of(st.just(np.nan), st.floats(-1e6, 1e6, allow_nan=False), st.sampled_from([60.0, 61.5]))


@given(arrays(float, st.tuples(st.integers(1, 12), st.integers(1, 70)), elements=values))
def test_row_nanmedian_is_numpys_nanmedian(a):
    a[:, 0] = np.where(np.isnan(a[:, 0]), 1.0, a[:, 0])  # every row has a value
    np.testing.assert_array_equal(row_nanmedian(a), np.nanmedian(a, axis=1))
