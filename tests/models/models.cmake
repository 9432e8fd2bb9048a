# The conformance harness: one program, every registered model and built-in preset.
npu_test(conformance ${CMAKE_SOURCE_DIR}/tests/models/conformance.c LIBS npu_api)
# The walk-through docs/models/adding-a-model.md, followed step by step in a copy of the sources
# (builds that copy: normal builds only, it would only repeat itself under the sanitizers).
if(NOT NPU_SANITIZE)
  add_test(NAME adding_a_model COMMAND sh ${CMAKE_SOURCE_DIR}/tests/models/adding_a_model_test.sh)
  set_tests_properties(adding_a_model PROPERTIES LABELS slow TIMEOUT 900
    ENVIRONMENT "NPU_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
endif()
