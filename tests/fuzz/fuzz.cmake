# libFuzzer targets (owner: onnx). Built only with clang; the reader's sources are compiled into
# the fuzzer itself so that they carry libFuzzer's coverage instrumentation (the graph IR comes
# from npu_core as usual).
if(CMAKE_C_COMPILER_ID MATCHES Clang)
  add_executable(onnx_fuzz ${CMAKE_SOURCE_DIR}/tests/fuzz/onnx_fuzz.c
    ${CMAKE_SOURCE_DIR}/sim/front/onnx.c ${CMAKE_SOURCE_DIR}/sim/front/pb.c)
  target_include_directories(onnx_fuzz PRIVATE ${CMAKE_SOURCE_DIR} ${CMAKE_SOURCE_DIR}/sim)
  target_compile_options(onnx_fuzz PRIVATE -fsanitize=fuzzer)
  target_link_options(onnx_fuzz PRIVATE -fsanitize=fuzzer)
  target_link_libraries(onnx_fuzz PRIVATE npu_core)
  # Regression: every seed once (no time-based fuzzing in ctest).
  add_test(NAME onnx_fuzz_corpus COMMAND onnx_fuzz -runs=0 ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(onnx_fuzz_corpus PROPERTIES LABELS fast)
endif()
