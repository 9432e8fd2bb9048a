# ONNX importer tests (owner: onnx).
npu_test(onnx_test ${CMAKE_SOURCE_DIR}/tests/unit/onnx_test.c LIBS npu_front npu_core)

# Every model of Debian's libonnx-testdata imports with the expected output shapes or is refused
# as unsupported. The fixture installs the package when it is missing (needs apt and root; a
# machine without it fails the test with a message naming the package).
add_test(NAME onnx_testdata_install
         COMMAND sh -c "test -d /usr/share/libonnx-testdata/data || apt-get install -y libonnx-testdata >/dev/null || (apt-get update >/dev/null && apt-get install -y libonnx-testdata >/dev/null)")
set_tests_properties(onnx_testdata_install PROPERTIES FIXTURES_SETUP onnx_testdata LABELS fast)
npu_test(onnx_testdata ${CMAKE_SOURCE_DIR}/tests/onnx/testdata.c LIBS npu_front npu_core
         LABELS fast) # about 1 s (7 s under ASan+UBSan)
set_tests_properties(onnx_testdata PROPERTIES FIXTURES_REQUIRED onnx_testdata)
