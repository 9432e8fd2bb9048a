#!/usr/bin/env bash
# Regenerates docs/validation.md from scripts/validation/*.lua (run after building).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${NPUSIM:-build/npusim}
exec "$bin" script scripts/validate.lua docs/validation.md scripts/validation/*.lua
