#!/usr/bin/env bash
# Regenerates docs/validation.md from scripts/validation/*.lua (run after building).
#   scripts/validate.sh [OUT.md]      (default docs/validation.md; the validation_current test
#                                      writes to a temporary file and compares)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${NPUSIM:-build/npusim}
exec "$bin" script scripts/validate.lua "${1:-docs/validation.md}" scripts/validation/*.lua
