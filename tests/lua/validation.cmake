# docs/validation.md is generated (scripts/validate.sh): this test regenerates it into the build
# tree and fails, showing the diff, when the committed page is not current — a model change
# that moves a figure, or a new row, must come with the regenerated page. It runs every
# calibration fit (a few seconds; see the timing line validate prints). Normal build only: under
# ASan the same simulations are only slower, and the page is the normal build's.
if(NOT NPU_SANITIZE)
  add_test(NAME validation_current
    COMMAND sh -c "NPUSIM=\"$0\" bash scripts/validate.sh \"$1\" && diff -u docs/validation.md \"$1\" && echo 'docs/validation.md is current'"
            $<TARGET_FILE:npusim> ${CMAKE_BINARY_DIR}/validation.md
    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(validation_current PROPERTIES LABELS fast
    ENVIRONMENT "NPU_SOURCE_DIR=${CMAKE_SOURCE_DIR};NPU_SHARED_DIR=${CMAKE_SOURCE_DIR}/../shared")
endif()

# validate.lua itself on fixtures: the fit and leave-one-out against closed-form answers, both
# file forms, the errors for bad data (tests/lua/validate_test.sh). Cheap, so in every build.
add_test(NAME validate_fit
  COMMAND sh tests/lua/validate_test.sh $<TARGET_FILE:npusim> ${CMAKE_BINARY_DIR}/validate_test
  WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(validate_fit PROPERTIES LABELS fast
  ENVIRONMENT "NPU_SOURCE_DIR=${CMAKE_SOURCE_DIR};NPU_SHARED_DIR=${CMAKE_SOURCE_DIR}/../shared")
