# The golden run matrix: every built-in preset x resnet50, mobilenet_v2, yolov8n as run JSON,
# pinned in tests/golden/runs/. A change that moves a number fails here until the files are
# regenerated with scripts/update_golden.sh (say in the commit which figures moved and why).
add_test(NAME golden_runs COMMAND sh ${CMAKE_SOURCE_DIR}/scripts/update_golden.sh --check)
set_tests_properties(golden_runs PROPERTIES LABELS fast
  ENVIRONMENT "NPUSIM=$<TARGET_FILE:npusim>")
