#!/usr/bin/env bats
# logroll: hit records in, per-second rollups out; logalert and logstats
# give the same output for the rollups as for the hits.

load test_helper

# both_ways FILE PROG [ARGS] -- PROG's stdout on FILE and on FILE rolled
# up must be identical, and not empty beyond the header.
both_ways() {
	local file=$1
	shift
	"$@" < "$file" > "$BATS_TEST_TMPDIR/raw.out" 2>/dev/null
	logroll -s web1 -S 1 < "$file" 2>/dev/null | "$@" \
	    > "$BATS_TEST_TMPDIR/roll.out" 2>/dev/null
	diff -u "$BATS_TEST_TMPDIR/raw.out" "$BATS_TEST_TMPDIR/roll.out" >&2
	[ "$(grep -vc '^#' "$BATS_TEST_TMPDIR/raw.out")" -gt 0 ]
}

# generated FILE ARGS -- a loggen log through logparse into FILE
generated() {
	local file=$1
	shift
	loggen "$@" | logparse > "$file" 2>/dev/null
}

@test "hits of a second are summed per section, method and status, with each host once" {
	fixture_test logroll logroll mixed -s web1 -S 1
}

@test "a group is written when the clock moves on, its newest second first" {
	run sh -c 'printf "hit\t5\th\t-\tGET\t/a\t/a\t200\t1\t-\t-\nhit\t3\th\t-\tGET\t/a\t/a\t200\t1\t-\t-\nhit\t6\th\t-\tGET\t/a\t/a\t200\t1\t-\t-\n" | logroll -s s -S 7 | cut -f1-4'
	assert_success
	assert_output "$(printf '#httpmon-records 1\nroll\t5\ts\t7\nrollhost\t5\ts\t8\nroll\t3\ts\t9\nrollhost\t3\ts\t10\nroll\t6\ts\t11\nrollhost\t6\ts\t12')"
}

@test "the source defaults to the host name, the sequence to the microsecond clock" {
	run sh -c 'printf "tick\t5\n" | logroll'
	assert_success
	[ "$(printf '%s\n' "$output" | sed -n 2p | cut -f3)" = "$(hostname)" ]
	seq=$(printf '%s\n' "$output" | sed -n 2p | cut -f4)
	[ "$seq" -gt 1500000000000000 ]
}

@test "same alerts both ways: the mixed fixture" {
	both_ways "$FIXTURES/logroll/mixed.in" logalert -w 5 -t 0.5
}

@test "same stats both ways: the mixed fixture (late, bad, escapes, other status)" {
	both_ways "$FIXTURES/logroll/mixed.in" logstats -i 5 -g 1
	both_ways "$FIXTURES/logroll/mixed.in" logstats -i 2 -g 0
}

@test "same alerts both ways: a burst over a generated log out of order" {
	generated "$BATS_TEST_TMPDIR/log" -n 20000 -j 5 -r 50:60,300:30,20
	both_ways "$BATS_TEST_TMPDIR/log" logalert -t 40 -w 30
	grep -q '^recover' "$BATS_TEST_TMPDIR/roll.out"
	both_ways "$BATS_TEST_TMPDIR/log" logalert -t 10 -w 20
}

@test "same stats both ways: a generated log out of order, with late hits" {
	generated "$BATS_TEST_TMPDIR/log" -n 20000 -j 5 -r 50:60,300:30,20
	both_ways "$BATS_TEST_TMPDIR/log" logstats
	both_ways "$BATS_TEST_TMPDIR/log" logstats -i 7 -g 0 -n 10
	awk -F'\t' '$1 == "stats" { late += $15 } END { exit late == 0 }' \
	    "$BATS_TEST_TMPDIR/roll.out"
}

@test "same output both ways for every logalert and logstats fixture" {
	local f
	for f in "$FIXTURES"/logalert/*.in; do
		logalert -w 5 -t 1 < "$f" > "$BATS_TEST_TMPDIR/a" 2>/dev/null
		logroll -s x -S 1 < "$f" 2>/dev/null | logalert -w 5 -t 1 \
		    > "$BATS_TEST_TMPDIR/b" 2>/dev/null
		cmp "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
	done
	for f in "$FIXTURES"/logstats/*.in; do
		logstats -i 5 -g 1 < "$f" > "$BATS_TEST_TMPDIR/a" 2>/dev/null
		logroll -s x -S 1 < "$f" 2>/dev/null | logstats -i 5 -g 1 \
		    > "$BATS_TEST_TMPDIR/b" 2>/dev/null
		cmp "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
	done
}

@test "a busy second rolls up into far fewer records than its hits" {
	generated "$BATS_TEST_TMPDIR/log" -n 100000 -r 2000
	n=$(logroll -s a -S 1 < "$BATS_TEST_TMPDIR/log" | wc -l)
	[ "$n" -lt 20000 ]
}

@test "a bad record is counted and reported, never fatal" {
	run --separate-stderr sh -c 'printf "what\t1\nhit\t1\nhit\t2\tx\t-\tGET\t/\t/\t200\t5\t-\t-\n" | logroll -s s -S 1'
	assert_success
	assert_output "$(printf '#httpmon-records 1\nroll\t2\ts\t1\t/\tGET\t200\t1\t5\nrollhost\t2\ts\t2\tx\nrollbad\t2\ts\t3\t2')"
	[[ "$stderr" == *"stdin:1: unknown record type: what"* ]]
}

@test "-h, -V and a bad option" {
	run logroll -h
	assert_success
	assert_output --partial "usage: logroll [-hV] [-S seq] [-s source] [file ...]"
	run logroll -V
	assert_output "logroll 0.1.0"
	run logroll -S -1
	assert_failure 64
	run logroll -s ''
	assert_failure 64
}

@test "the output does not depend on the run's hash key, and a flood of keys stays exact" {
	local in="$BATS_TEST_TMPDIR/in.rec"
	# 20,000 distinct sections and 3000 hosts in one second, some hits
	# out of order: more sums than a group holds, so the second is written
	# in several groups; the readers' output is the same as from the hits
	awk 'BEGIN { for (i = 0; i < 30000; i++)
		printf "hit\t%d\th%d\t-\tGET\t/s%d\t/s%d\t%d\t%d\t-\t-\n",
		    1000 + (i % 97 == 0 ? -1 : int(i / 20000)), i % 3000,
		    i % 20000, i % 20000, 200 + 100 * (i % 3), i }' > "$in"
	run -0 logroll -s w -S 0 "$in"
	local want=$output
	run -0 logroll -s w -S 0 "$in"
	assert_output "$want"
	both_ways "$in" logstats -n 10
	both_ways "$in" logalert -w 10 -t 5
}
