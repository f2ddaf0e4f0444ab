#!/usr/bin/env bash
# The Debian package as a user gets it: built with CPack, unpacked into a clean root, and run from there on the
# real cache with the user's own torch (no RPATH into this build): the CLI, the window (offscreen screenshot) and
# a benchmark in the packaged worker; then a package whose worker was built for another torch, which builds a
# worker for this torch on first use into the cache folder. Also validates the .desktop and AppStream files, the
# man pages and the bash completion, and checks that the binaries are stripped.
#   usage: package_test.sh BUILD_DIR REAL_CACHE PYTHON
set -euo pipefail
build="$1" real="$2" py="$3"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

(cd "$build" && cpack -G DEB -B "$work/pkg" > "$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; fail "cpack"; }
deb="$(ls "$work"/pkg/*.deb)"
root="$work/root"
dpkg-deb -x "$deb" "$root"
dpkg-deb -f "$deb" Recommends | grep -q g++ || fail "Recommends lacks the compiler for first-use worker builds"
echo "package: $(basename "$deb"), $(du -h "$deb" | cut -f1)"

for f in "$root"/usr/bin/* "$root"/usr/lib/aotiscope/aotiscope-bench-worker; do
  file "$f" | grep -q "not stripped" && fail "$f is not stripped"
  if readelf -d "$f" | grep -Eq "R(UN)?PATH"; then fail "$f has an RPATH: $(readelf -d "$f" | grep -E 'R(UN)?PATH')"; fi
done
echo "binaries: stripped, no RPATH"

desktop-file-validate "$root"/usr/share/applications/io.github.aotiscope.AOTIScope.desktop
appstreamcli validate --no-net "$root"/usr/share/metainfo/io.github.aotiscope.AOTIScope.metainfo.xml
[ -s "$root"/usr/share/icons/hicolor/scalable/apps/io.github.aotiscope.AOTIScope.svg ] || fail "no icon"
for page in aotiscope-cli aotiscope; do
  MANWIDTH=80 man -l "$root/usr/share/man/man1/$page.1" | grep -q "SYNOPSIS" || fail "man page $page does not render"
done
bash -c "source '$root/usr/share/bash-completion/completions/aotiscope-cli'; COMP_WORDS=(aotiscope-cli rec); COMP_CWORD=1; _aotiscope_cli; [[ \"\${COMPREPLY[*]}\" == *record* ]]" \
  || fail "bash completion does not complete 'rec' to record"
echo "desktop file, metainfo, icon, man pages, completion: valid"

# A user's environment: none of the test suite's variables, the torch of their own Python.
clean=(env -u AOTISCOPE_CLI -u AOTISCOPE_FIXTURES -u AOTISCOPE_REAL_CACHE -u AOTISCOPE_PYTHON -u AOTISCOPE_BENCH_WORKER
       -u AOTISCOPE_WORKERS_DIR -u LD_LIBRARY_PATH AOTISCOPE_CACHE_DIR="$work/user-cache")
cp -r "$real" "$work/cache"
"${clean[@]}" "$root/usr/bin/aotiscope-cli" ls --root "$work/cache" > "$work/ls.txt" || fail "installed ls"
grep -q "abs" "$work/ls.txt" || fail "installed ls lists no abs"
"${clean[@]}" QT_QPA_PLATFORM=offscreen "$root/usr/bin/aotiscope" --screenshot "$work/shot.png" "$work/cache" \
  || fail "installed window"
[ -s "$work/shot.png" ] || fail "the installed window saved no screenshot"
echo "installed CLI and window: ran"

bench() { "${clean[@]}" "$root/usr/bin/aotiscope-cli" -v bench abs --entry 0 --root "$work/cache" --python "$py" --max-ms 300 2> "$work/bench.err"; }
bench > "$work/bench.txt" || { cat "$work/bench.err"; fail "bench with the packaged worker"; }
grep -q "benchmark worker $root/usr/lib/aotiscope/aotiscope-bench-worker" "$work/bench.err" || { cat "$work/bench.err"; fail "not the packaged worker"; }
echo "bench with the packaged worker and the user's libtorch: ok"

# A package built for another torch: this torch gets its own worker, built once into the cache folder.
echo "0.0.0+other" > "$root/usr/lib/aotiscope/aotiscope-bench-worker.torch"
bench > "$work/bench2.txt" || { cat "$work/bench.err"; ls "$work/user-cache/bench-worker" || true; cat "$work"/user-cache/bench-worker/*.log 2>/dev/null | tail -20; fail "bench after a first-use worker build"; }
grep -q "building the benchmark worker for torch" "$work/bench.err" || fail "no first-use build was announced"
built="$(ls -d "$work"/user-cache/bench-worker/*/)"
grep -q "benchmark worker ${built}aotiscope-bench-worker" "$work/bench.err" || { cat "$work/bench.err"; fail "the built worker did not run"; }
bench > /dev/null || fail "bench with the worker built before"
grep -q "building the benchmark worker" "$work/bench.err" && fail "the worker was built twice"
echo "first-use worker build for another torch: $built, reused afterwards"
echo "package test passed"
