#!/usr/bin/env bats
# logstats: hit records in, one stats/section/method block per interval out.

load test_helper

@test "a hit at exactly k*I opens interval k, not the one before" {
	fixture_test logstats logstats boundary
}

@test "hits out of order within the grace period count in their interval" {
	fixture_test logstats logstats grace
}

@test "late hits are counted in LATE and in the totals, never dropped" {
	fixture_test logstats logstats late
}

@test "top sections: more hits, then more bytes, then name bytewise" {
	fixture_test logstats logstats top
}

@test "totals since start add up across intervals" {
	fixture_test logstats logstats totals
}

@test "HOSTS counts distinct hosts per interval" {
	fixture_test logstats logstats hosts
}

@test "status classes 2xx to 5xx, and other for the rest" {
	fixture_test logstats logstats status
}

@test "empty intervals between two busy ones are written with 0 hits" {
	fixture_test logstats logstats empty_gap
}

@test "a jump of more than 60 intervals skips the empty ones" {
	fixture_test logstats logstats jump
}

@test "a jump of exactly 60 intervals still writes the empty ones" {
	fixture_test logstats logstats jump60
}

@test "a jump of 61 intervals writes only the intervals with data or clock" {
	run sh -c 'printf "hit\t0\ta\t-\tGET\t/x\t/a\t200\t1\t-\t-\ntick\t610\n" |
	    logstats | cut -f1,2'
	assert_success
	assert_output "$(printf 'stats\t10\nsection\t10\nmethod\t10\nstats\t620')"
}

@test "bad lines and bad records are counted in BAD where the clock is" {
	fixture_test logstats logstats bad
}

@test "bad lines are named on stderr with their line number" {
	run --separate-stderr logstats < "$FIXTURES/logstats/bad.in"
	assert_success
	[ "$stderr" = "$(printf '%s\n' \
	    'logstats: stdin:4: hit: wrong field count: hit\t11\ttoo\tfew' \
	    'logstats: stdin:5: hit: bad time: noon' \
	    'logstats: stdin:6: unknown record type: garbage' \
	    'logstats: stdin:12: tick: bad time: tick\tlater' \
	    'logstats: stdin: 4 bad lines')" ]
}

@test "ticks move the clock and close intervals without hits" {
	fixture_test logstats logstats tick
}

@test "end of input closes every open interval" {
	fixture_test logstats logstats eof
}

@test "every method is written, by hits then name" {
	fixture_test logstats logstats methods
}

@test "section names keep their escapes and are cut at 200 bytes" {
	fixture_test logstats logstats names
}

@test "-i sets the interval and -n the number of sections" {
	fixture_test logstats logstats options -i 60 -n 1
}

@test "-n 0 writes no section records" {
	run sh -c 'logstats -n 0 < "$FIXTURES/logstats/top.in" | cut -f1 | sort -u'
	assert_success
	assert_output "$(printf 'method\nstats')"
}

@test "-g 0 closes an interval as soon as the clock leaves it" {
	run sh -c 'printf "hit\t5\ta\t-\tGET\t/x\t/a\t200\t1\t-\t-\nhit\t10\ta\t-\tGET\t/x\t/a\t200\t1\t-\t-\nhit\t9\ta\t-\tGET\t/x\t/a\t200\t1\t-\t-\n" |
	    logstats -g 0 | grep ^stats | cut -f2,4,7,15'
	assert_success
	assert_output "$(printf '10\t1\t1\t0\n20\t1\t3\t1')"
}

@test "files are read in turn as one stream" {
	run logstats "$FIXTURES/logstats/eof.in" "$FIXTURES/logstats/hosts.in"
	assert_success
	# hosts.in goes back in time: its hits at 11 and 12 are still in the
	# grace of [10,20), those at 0 to 3 are late.
	assert_line --index 0 "$(printf 'stats\t20\t10\t3\t0.30\t3\t3\t3\t3\t0\t0\t0\t0\t2\t0\t0\t0\t0\t0')"
	assert_line "$(printf 'stats\t30\t10\t1\t0.10\t2\t8\t9\t1\t0\t0\t0\t0\t1\t4\t0\t0\t0\t0')"
}

@test "no input, no output" {
	run logstats < /dev/null
	assert_success
	assert_output ""
}

@test "a missing file exits 66 after reading the others" {
	run --separate-stderr logstats "$BATS_TEST_TMPDIR/none" "$FIXTURES/logstats/eof.in"
	[ "$status" -eq 66 ]
	[ "${#lines[@]}" -eq 6 ]
}

@test "a bad option or number exits 64" {
	run -64 logstats -x
	run -64 logstats -i 0
	run -64 logstats -n 101
	run -64 logstats -g -1
}

@test "-h prints usage and -V the version" {
	run logstats -h
	assert_success
	assert_output "usage: logstats [-chV] [-g secs] [-i secs] [-n count] [file ...]"
	run logstats -V
	assert_success
	assert_output --regexp '^logstats [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "SIGTERM closes the open intervals, writes them and exits 0" {
	local out=$BATS_TEST_TMPDIR/out fifo=$BATS_TEST_TMPDIR/fifo
	mkfifo "$fifo"
	logstats < "$fifo" > "$out" 3>&- &
	local pid=$!
	exec 4> "$fifo"
	# The hit at 15 closes [0,10): once that block is out, it was read.
	printf 'hit\t5\ta\t-\tGET\t/x\t/a\t200\t1\t-\t-\n' >&4
	printf 'hit\t15\ta\t-\tGET\t/x\t/b\t200\t2\t-\t-\n' >&4
	wait_for grep -q '^method' "$out"
	kill -TERM "$pid"
	local rc=0
	wait "$pid" || rc=$?
	exec 4>&-
	[ "$rc" -eq 0 ]
	run cut -f1-7 "$out"
	assert_output "$(printf '%s\n' 'stats	10	10	1	0.10	1	1' \
	    'section	10	1	/a	1	1	0' 'method	10	GET	1' \
	    'stats	20	10	1	0.10	2	2' 'section	20	1	/b	1	2	0' \
	    'method	20	GET	1')"
}

@test "window records (logalert -s) are ignored, not counted as bad" {
	run --separate-stderr logstats -i 10 <<<$'hit\t100\th\t-\tGET\t/a\t/a\t200\t5\t-\t-\nwindow\t101\t1\t0.10\t10\t1'
	assert_success
	assert_equal "$stderr" ""
	assert_line --index 0 $'stats\t110\t10\t1\t0.10\t5\t1\t5\t1\t0\t0\t0\t0\t1\t0\t0\t0\t0\t0'
}

# The fast paths (issue 5): fields past BYTES only counted; hash tables
# grown, then emptied and kept from one interval to the next.

@test "many distinct keys in one interval, then few: exact counts, nothing carried over" {
	local in="$BATS_TEST_TMPDIR/in.rec"
	# interval [100,110): 3000 hosts, 900 sections of 3 or 4 hits, with
	# long names (the tables and the name buffer grow); [110,120): 3 hosts
	# and 2 sections seen before, which must start again from 0.
	awk 'BEGIN {
		for (i = 0; i < 3000; i++)
			printf "hit\t%d\th%d\t-\tM%d\t/p\t/section-%060d\t%d\t%d\t-\t-\n",
			    100 + i % 10, i, i % 3, i % 900, 200 + 100 * (i % 4), i
		for (i = 0; i < 3; i++)
			printf "hit\t115\th%d\t-\tM0\t/p\t/section-%060d\t200\t1\t-\t-\n",
			    i, i % 2
	}' > "$in"
	run --separate-stderr logstats -n 2 "$in"
	assert_success
	# interval 1: sections 0..299 have 4 hits, the others 3; by hits then
	# bytes: section 299 (hits 299+1199+2099+2999=6596 bytes) then 298.
	assert_output "$(printf '%s\n' \
	    $'stats\t110\t10\t3000\t300.00\t4498500\t3000\t4498500\t750\t750\t750\t750\t0\t3000\t0\t0\t0\t0\t0' \
	    "$(printf 'section\t110\t1\t/section-%060d\t4\t6596\t0\t4' 299)" \
	    "$(printf 'section\t110\t2\t/section-%060d\t4\t6592\t4\t0' 298)" \
	    $'method\t110\tM0\t1000' $'method\t110\tM1\t1000' $'method\t110\tM2\t1000' \
	    $'stats\t120\t10\t3\t0.30\t3\t3003\t4498503\t3\t0\t0\t0\t0\t3\t0\t0\t0\t0\t0' \
	    "$(printf 'section\t120\t1\t/section-%060d\t2\t2\t0\t0' 0)" \
	    "$(printf 'section\t120\t2\t/section-%060d\t1\t1\t0\t0' 1)" \
	    $'method\t120\tM0\t3')"
}

@test "field counts are right however the TABs fall in long records" {
	local a=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa i
	{
		for i in 0 1 7 8 15 16 17 31 32 33 47; do
			printf 'hit\t100\th\t-\tGET\t/\t/s\t200\t1\t-\t%s\n' "${a:0:i}"
			printf 'hit\t100\th\t-\tGET\t/\t/s\t200\t1\t%s\n' "${a:0:i}"
			printf 'hit\t100\th\t-\tGET\t/\t/s\t200\t1\t%s\t-\t%s\n' "${a:0:i}" "${a:0:i}"
		done
		printf 'hit\t100'; printf '\t%s' $(seq 31); printf '\n'
	} > "$BATS_TEST_TMPDIR/in"
	run --separate-stderr logstats "$BATS_TEST_TMPDIR/in"
	assert_success
	# 22 hits of 11 or 12 fields (the 12th ignored)
	assert_line --index 0 $'stats\t110\t10\t22\t2.20\t22\t22\t22\t22\t0\t0\t0\t0\t1\t0\t12\t0\t0\t0'
	# 11 hits of 10 fields and one of 33: BAD 12, the first 10 warned
	[[ "$stderr" == *"in:2: hit: wrong field count"* ]]
	[[ "$stderr" != *"in:3: "* ]]
	[[ "$stderr" == *"in: 12 bad lines"* ]]
}

@test "records read through a pipe in small chunks give the same stats" {
	local in="$BATS_TEST_TMPDIR/in.rec"
	loggen -f combined -n 20000 -r 100 -S 4 | logparse > "$in"
	run -0 logstats "$in"
	local want=$output
	[ "${#lines[@]}" -gt 100 ]
	run -0 bash -c "slow_pipe '$in' | logstats"
	assert_output "$want"
}

@test "the output does not depend on the run's hash key: three runs, one output" {
	local in="$BATS_TEST_TMPDIR/in.rec"
	# ties everywhere (one hit and one byte per section), a folded tail
	# past 8192 sections, a host count past 4096 (the estimate's hash is
	# fixed), 40 methods in two intervals
	awk 'BEGIN { for (i = 0; i < 20000; i++)
		printf "hit\t%d\th%d\t-\tM%d\t/p\t/s%d\t200\t1\t-\t-\n",
		    100 + 10 * int(i / 10000), i % 6000, i % 40, (i * 7919) % 12000 }' > "$in"
	run -0 logstats -n 100 "$in"
	local want=$output
	[ "${#lines[@]}" -eq 282 ]
	[ "$(awk -F '\t' '$1 == "stats" && $17 == 1808 && $19 == 1' <<< "$want" |
	    wc -l)" -eq 2 ]
	run -0 logstats -n 100 "$in"
	assert_output "$want"
	run -0 logstats -n 100 "$in"
	assert_output "$want"
}
