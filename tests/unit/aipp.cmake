# ATC's AIPP config (sim/front/aipp.c, issue 22): every field, ATC's refusals, the costs, and the
# Hi3519DV500 deployment-flow example (tests/aipp/).
npu_test(aipp_test ${CMAKE_SOURCE_DIR}/tests/unit/aipp_test.c LIBS npu_api)
