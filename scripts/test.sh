#!/usr/bin/env bash
# The README's test command: builds (with tests) and runs every test with CTest.
# CTest runs one process per GoogleTest suite (tests/suite_tests.cmake); each suite writes
# its XML report under build/tests/gtest-xml/, from which this script prints how many
# tests were skipped, and which (a skipped test says why). With QDSE_REQUIRE_ALL=1 (set by
# .ci/run) a test whose prerequisite is missing fails instead of skipping
# (tests/support/prerequisites.hpp).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh -DQDSE_BUILD_TESTS=ON
log=build/ctest.log
rm -rf build/tests/gtest-xml
status=0
ctest --test-dir build --output-on-failure -j "$(nproc)" "$@" 2>&1 | tee "$log" || status=$?
python3 - build/tests/gtest-xml <<'PY'
import pathlib, sys
import xml.etree.ElementTree as ET
skipped = []
for f in sorted(pathlib.Path(sys.argv[1]).rglob("*.xml")):
    for case in ET.parse(f).iter("testcase"):
        why = case.find("skipped")
        if why is not None or case.get("result") == "skipped":
            text = (why.get("message") if why is not None else "") or ""
            skipped.append(f"{case.get('classname')}.{case.get('name')}: {text.strip().splitlines()[-1] if text.strip() else ''}")
print(f"test.sh: {len(skipped)} skipped test(s)")
for s in skipped:
    print("  " + s)
PY
grep '(Skipped)' "$log" | sed 's/^/  ctest: /' || true
exit "$status"
