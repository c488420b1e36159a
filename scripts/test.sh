#!/usr/bin/env bash
# Runs Wharf's tests with node's built-in runner. `npm test` runs everything; `npm run
# test:unit` only the fast unit tests beside the code. Suites that need PostgreSQL or a client
# tool run when it is present (WHARF_TEST_POSTGRES_URL, skopeo, podman, umoci, docker); with
# WHARF_TEST_REQUIRE_ALL=1 (CI) a missing one fails instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."
shopt -s globstar nullglob
unit=(src/**/*.test.ts)
if [ "${1:-all}" = unit ]; then
  files=("${unit[@]}")
else
  files=("${unit[@]}" test/**/*.test.ts)
fi
exec node --import tsx --test --test-concurrency=1 "${files[@]}"
