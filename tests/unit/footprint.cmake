# The deployment footprint (sim/core/footprint.c, issue 22): arena reuse and its invariant over
# the zoo on every model family, the stored layouts, fits-or-not.
npu_test(footprint_test ${CMAKE_SOURCE_DIR}/tests/unit/footprint_test.c LIBS npu_api)
