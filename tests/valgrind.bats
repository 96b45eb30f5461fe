#!/usr/bin/env bats
# valgrind (memcheck) on end-to-end runs: every stage of httpmon.sh, and
# every filter on its own, must run without a memory error or a leak of
# lost blocks.  The plain build (bin/) is used whatever HTTPMON_BIN says:
# valgrind cannot run the ASan build.  Skipped where valgrind is missing.

load test_helper

VG_OPTS="-q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect"

setup() {
	command -v valgrind > /dev/null || skip "valgrind is not installed"
	PLAIN=$ROOT/bin
	[ -x "$PLAIN/logparse" ] || skip "no plain build in bin/"
}

# vg PROG ARGS... -- PROG of the plain build under memcheck
vg() {
	local p=$1
	shift
	# shellcheck disable=SC2086
	valgrind $VG_OPTS "$PLAIN/$p" "$@"
}

@test "valgrind: each filter on a replayed log with bad lines is clean" {
	local d=$BATS_TEST_TMPDIR
	"$PLAIN/loggen" -f combined -r 20:120,60:60,5:120 > "$d/a.log"
	cat "$BATS_TEST_DIRNAME/hostile/lines.in" >> "$d/a.log"
	vg loggen -f csv -n 500 > "$d/b.csv"
	vg logtail -N "$d/a.log" > "$d/lines"
	vg logparse "$d/lines" "$d/b.csv" > "$d/rec" 2> /dev/null
	vg logalert -s -w 30 -t 20 "$d/rec" > "$d/alerts" 2> /dev/null
	vg logstats -i 10 "$d/rec" > "$d/stats"
	cat "$d/alerts" >> "$d/stats"
	vg logshow "$d/stats" > /dev/null
	if [ -x "$PLAIN/logjson" ]; then
		vg logjson "$d/stats" > /dev/null
	fi
}

@test "valgrind: every stage of httpmon.sh under memcheck, end to end" {
	local fake=$BATS_TEST_TMPDIR/vgbin p
	mkdir "$fake"
	cp "$PLAIN/httpmon.sh" "$fake/"
	# each stage a wrapper that runs the real one under valgrind; an error
	# makes it exit 99, and the driver names the stage and exits 1
	for p in "$PLAIN"/log*; do
		p=${p##*/}
		printf '#!/bin/sh\nexec valgrind %s "%s/%s" "$@"\n' "$VG_OPTS" \
		    "$PLAIN" "$p" > "$fake/$p"
		chmod +x "$fake/$p"
	done
	"$PLAIN/loggen" -f clf -r 5:60,30:60,5:60 > "$BATS_TEST_TMPDIR/a.log"
	run --separate-stderr "$fake/httpmon.sh" --plain -N -w 30 -t 10 "$BATS_TEST_TMPDIR/a.log"
	assert_success
	assert_line --partial "High traffic generated an alert"
	assert_line --partial "total 2400 hits"
}
