# The ONNX writer (owner: onnxw). `onnxw_test` alone: writer unit tests. One round-trip test per
# zoo network: zoo → ONNX → import gives the same layers after the passes and the same total
# cycles within 0.5 % on every shipped preset. Under the sanitizers (NPU_SANITIZE) the round
# trip runs on a subset (three CNNs with fused SiLU/BN and the LLM decode graph, on one preset
# of each model family) to keep CI time reasonable; the checks are the same.
npu_test(onnxw_test ${CMAKE_SOURCE_DIR}/tests/unit/onnxw_test.c LIBS npu_api)
file(GLOB NPU_ZOO_LUAS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/scripts/zoo/*.lua)
set(NPU_RT_ARCHS "")
# The LLM scripts (*_prefill, *_decode) are thin calls of `transformer` that differ only in their
# dimensions: the round trip of a 7B prefill takes a minute and 700 MB on every preset and tests
# nothing a smaller one does not. These cover each structure the transformer can take (Qwen2:
# tied + QKV bias, prefill and decode; Llama: untied; Llama 3.2: tied without bias; Gemma: GELU
# MLP); tests/lua/zoo_test.lua checks the parameters and MACs of every one of them.
set(NPU_RT_LLMS qwen2_0_5b_prefill qwen2_0_5b_decode tinyllama_1_1b_decode llama3_2_1b_decode
    gemma_2b_decode)
foreach(z ${NPU_ZOO_LUAS})
  get_filename_component(net ${z} NAME_WE)
  if(net MATCHES "_(prefill|decode)$" AND NOT net IN_LIST NPU_RT_LLMS)
    list(REMOVE_ITEM NPU_ZOO_LUAS ${z})
  endif()
endforeach()
if(NPU_SANITIZE)
  set(NPU_ZOO_LUAS yolov5s yolov8n resnet18 qwen2_0_5b_decode)
  set(NPU_RT_ARCHS rk3588 ascend310 nv_small scalesim_default)
endif()
foreach(z ${NPU_ZOO_LUAS})
  get_filename_component(net ${z} NAME_WE)
  add_test(NAME onnx_roundtrip_${net} COMMAND onnxw_test ${net} ${NPU_RT_ARCHS}
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(onnx_roundtrip_${net} PROPERTIES LABELS slow
    ENVIRONMENT "NPU_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
endforeach()
# Every written file passes onnx.checker (Debian python3-onnx) and `convert` follows -o's rules.
add_test(NAME onnx_written COMMAND sh ${CMAKE_SOURCE_DIR}/tests/onnx/onnx_written.sh
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(onnx_written PROPERTIES LABELS fast
  ENVIRONMENT "NPU_SOURCE_DIR=${CMAKE_SOURCE_DIR};NPUSIM=$<TARGET_FILE:npusim>")
# ONNX files written as torch.onnx / Ultralytics write them (not by npusim's writer) agree with
# the zoo network or an .npg of the same network within 0.5 % on every preset (issue 11's blind
# check, tests/onnx/exporter_style.sh). Under the sanitizers: one preset of each model family.
if(NPU_SANITIZE)
  set(NPU_EXPST_ENV "PRESETS=rk3588 ascend310 nv_small scalesim_default")
else()
  set(NPU_EXPST_ENV "")
endif()
add_test(NAME onnx_exporter_style COMMAND sh ${CMAKE_SOURCE_DIR}/tests/onnx/exporter_style.sh
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(onnx_exporter_style PROPERTIES LABELS slow
  ENVIRONMENT "NPU_SOURCE_DIR=${CMAKE_SOURCE_DIR};NPUSIM=$<TARGET_FILE:npusim>;${NPU_EXPST_ENV}")
