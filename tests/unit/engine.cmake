# Engine, host model and results (owner: engine).
npu_test(engine_test ${CMAKE_SOURCE_DIR}/tests/unit/engine_test.c LIBS npu_engine)
