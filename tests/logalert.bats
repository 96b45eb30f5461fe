#!/usr/bin/env bats
# logalert: the alert rule of the man page, pinned down fixture by fixture.
# Every expected output was worked out by hand from the rule.

load test_helper

hit() {
	printf 'hit\t%s\t10.0.0.1\t-\tGET\t/a\t/a\t200\t1\t-\t-\n' "$@"
}

@test "worked example of the rule: alert at 104 with 6 hits, recover at 107 with 5" {
	fixture_test logalert logalert worked-example -w 5 -t 1
}

@test "alert, recover, then alert again" {
	fixture_test logalert logalert alert-recover-alert -w 10 -t 2
}

@test "out-of-order hits inside the window count; a late hit is dropped and reported" {
	fixture_test logalert logalert late-and-out-of-order -w 5 -t 1
	[[ "$stderr" == *"stdin:6: late record, dropped: 200"* ]]
	[[ "$stderr" == *"stdin: 1 late record"* ]]
}

@test "after a gap in traffic the recovery is at the exact second the window empties" {
	fixture_test logalert logalert gap-recovers-at-exact-second -w 10 -t 1
}

@test "window edges: t-W is inside the window, t is not" {
	fixture_test logalert logalert window-edges -w 3 -t 1
}

@test "decimal threshold: an average equal to it is not over it" {
	fixture_test logalert logalert decimal-threshold -w 5 -t 1.2
}

@test "ticks advance the clock so an alert recovers with no traffic" {
	fixture_test logalert logalert ticks-advance-clock -w 5 -t 1
}

@test "defaults are a 120 s window and 10 hits/s: 1200 hits do not alert, 1201 do" {
	fixture_test logalert logalert defaults
}

@test "an average exactly at the threshold never alerts" {
	run sh -c 'for i in 1 2 3 4 5; do printf "hit\t50\th\t-\tGET\t/\t/\t200\t0\t-\t-\n"; done; printf "tick\t60\n"' 
	run logalert -w 5 -t 1 <<<"$output"
	assert_success
	assert_output '#httpmon-records 1'
}

@test "bad records are counted and reported with their line; good ones still count" {
	{
		hit 100 100
		printf 'hit\tabc\th\t-\tGET\t/\t/\t200\t0\t-\t-\n'
		printf 'hit\t100\n'
		printf 'GET /index.html\n'
		hit 100
		printf 'tick\t101\n'
	} > "$BATS_TEST_TMPDIR/in"
	run --separate-stderr logalert -w 1 -t 2 "$BATS_TEST_TMPDIR/in"
	assert_success
	assert_line --index 1 --regexp $'^alert\t101\t3\t3.00\t2\t'
	[[ "$stderr" == *"in:3: bad time: abc"* ]]
	[[ "$stderr" == *"in:4: wrong number of fields"* ]]
	[[ "$stderr" == *"in:5: unknown record type: GET /index.html"* ]]
	[[ "$stderr" == *"in: 3 bad records"* ]]
}

@test "comments and records of other stages pass by unseen" {
	{
		echo '#httpmon-records 1'
		printf 'stats\t110\t10\t0\t0.00\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\n'
		hit 100 100 100
		printf 'alert\t1\t1\t1\t1\tforged\n'
		printf 'tick\t101\n'
	} > "$BATS_TEST_TMPDIR/in"
	run --separate-stderr logalert -w 1 -t 2 "$BATS_TEST_TMPDIR/in"
	assert_success
	assert_equal "${#lines[@]}" 2
	assert_line --index 1 --regexp $'^alert\t101\t3\t'
	assert_equal "$stderr" ""
}

@test "a jump of a year costs at most W+1 steps and still recovers" {
	run sh -c 'for i in $(seq 30); do printf "hit\t1000\th\t-\tGET\t/\t/\t200\t0\t-\t-\n"; done
		printf "tick\t1001\ntick\t31537000\n"'
	run logalert -w 10 -t 1 <<<"$output"
	assert_success
	assert_line --index 1 --regexp $'^alert\t1001\t30\t3.00\t'
	assert_line --index 2 --regexp $'^recover\t1011\t0\t0.00\t'
}

@test "an alert is written as soon as it happens, before input ends" {
	mkfifo "$BATS_TEST_TMPDIR/in"
	logalert -w 1 -t 1 < "$BATS_TEST_TMPDIR/in" > "$BATS_TEST_TMPDIR/out" 3>&- &
	exec 5> "$BATS_TEST_TMPDIR/in"
	printf 'hit\t5\th\t-\tGET\t/\t/\t200\t0\t-\t-\n' >&5
	printf 'hit\t5\th\t-\tGET\t/\t/\t200\t0\t-\t-\n' >&5
	printf 'tick\t6\n' >&5
	# the input is still open: the alert must not wait in a buffer
	wait_for grep -q '^alert' "$BATS_TEST_TMPDIR/out"
	exec 5>&-
	wait
}

@test "usage: bad options and numbers exit 64 with a message" {
	run -64 logalert -x
	run -64 logalert -w 0
	assert_output --partial "-w 0"
	run -64 logalert -t ten
	assert_output --partial "-t ten: not a threshold"
	run -64 logalert -t -1
	run -0 logalert -h
	assert_output --partial "usage: logalert"
	run -0 logalert -V
	assert_output "logalert 0.1.0"
}

@test "a missing input file is reported and exits 66" {
	run -66 logalert "$BATS_TEST_TMPDIR/nope"
	assert_output --partial "nope: No such file or directory"
}

@test "a read error is reported and exits 1" {
	run -1 logalert "$BATS_TEST_TMPDIR"
	assert_output --partial "Is a directory"
}

@test "-s: a window record at every evaluation, one for the rest of a jump" {
	# W=3: at t the window is [t-3, t-1] and LASTSEC the hits of t-1; the
	# jump 103 -> 120 evaluates 104..107 (W+1), then one record at 120.
	fixture_test logalert logalert status -s -w 3 -t 0.5
}

@test "without -s the same input gives no window record" {
	run --separate-stderr logalert -w 3 -t 0.5 < "$FIXTURES/logalert/status.in"
	assert_success
	refute_output --partial 'window'
	assert_line --index 1 --partial 'alert	101	2	0.67	0.5	'
}

# The fast paths (issue 5): logalert splits only TYPE and TIME and counts
# the other fields 16 bytes at a time.

@test "field counts are right however the TABs fall in long records" {
	local a=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa i
	{
		for i in 0 1 7 8 15 16 17 31 32 33 47; do
			# 11 fields: a hit; 10: too few; 12: a hit with a field
			# appended (ignored); the long field moves every TAB
			# across the 16-byte blocks.
			printf 'hit\t100\th\t-\tGET\t/%s\t/\t200\t1\t-\tua\n' "${a:0:i}"
			printf 'hit\t100\th\t-\tGET\t/%s\t/\t200\t1\tua\n' "${a:0:i}"
			printf 'hit\t100\th\t-\tGET\t/%s\t/\t200\t1\t-\tua\t%s\n' "${a:0:i}" "${a:0:i}"
		done
		# 32 fields pass the splitter (a hit), 33 do not
		printf 'hit\t100'; printf '\t%s' $(seq 30); printf '\n'
		printf 'hit\t100'; printf '\t%s' $(seq 31); printf '\n'
		printf 'tick\t101\n'
	} > "$BATS_TEST_TMPDIR/in"
	run --separate-stderr logalert -w 1 -t 10 "$BATS_TEST_TMPDIR/in"
	assert_success
	# the 23 hits of 11, 12 or 32 fields in second 100: an alert at 101
	assert_line --index 1 --regexp $'^alert\t101\t23\t23.00\t10\t'
	# 11 hits of 10 fields, one of 33
	[[ "$stderr" == *"in:2: wrong number of fields"* ]]
	[[ "$stderr" != *"in:3: "* ]]
	[[ "$stderr" == *"in:5: wrong number of fields"* ]]
	[[ "$stderr" == *"in: 12 bad records"* ]]
}

@test "records read through a pipe in small chunks give the same alerts" {
	local in="$BATS_TEST_TMPDIR/in.rec"
	loggen -f combined -n 20000 -r 20:30,200:20,20:60 -S 3 | logparse > "$in"
	run -0 logalert -w 10 -t 50 "$in"
	local want=$output
	[[ "$want" == *alert* ]]
	[[ "$want" == *recover* ]]
	run -0 bash -c "slow_pipe '$in' | logalert -w 10 -t 50"
	assert_output "$want"
}

@test "a long line arriving in many small reads is read whole, once, and the next line too" {
	perl -e 'print "x" x 300000, "\n"' > "$BATS_TEST_TMPDIR/in"
	hit 7 7 >> "$BATS_TEST_TMPDIR/in"
	printf 'tick\t8\n' >> "$BATS_TEST_TMPDIR/in"
	run --separate-stderr sh -c 'perl -e "
	    open(my \$f, q(<), \$ARGV[0]) or die; binmode \$f; \$| = 1;
	    while (read(\$f, my \$b, 4096)) { print \$b; select(undef, undef, undef, 0.001) }
	    " "$1" | logalert -w 1 -t 1' sh "$BATS_TEST_TMPDIR/in"
	assert_success
	assert_line --index 1 --regexp $'^alert\t8\t2\t'
	[[ "$stderr" == *"stdin:1: unknown record type: xxx"* ]]
	[[ "$stderr" == *"stdin: 1 bad record"* ]]
}

# chart_check W FILE -- replay logalert -s's records in FILE as a chart
# does (a window record sets the bar of TIME-1, a second record resets
# the bar of its second) and check that at every window record the bars
# of [TIME-W, TIME-1] sum to the window's HITS; prints the checks made
chart_check() {
	awk -F '\t' -v w="$1" '
	    $1 == "second" { bar[$2] = $3 }
	    $1 == "window" {
		bar[$2 - 1] = $6
		sum = 0
		for (s = $2 - w; s < $2; s++)
			sum += bar[s]
		if (sum != $3) {
			printf "at %d the bars sum to %d, the window says %d\n",
			    $2, sum, $3
			bad = 1
		}
		n++
	    }
	    END { print n " windows"; exit bad }' "$2"
}

@test "-s: a second's count that grows after it was charted is sent again, so the bars sum to the window" {
	local in="$BATS_TEST_TMPDIR/in.rec" out="$BATS_TEST_TMPDIR/out.rec"
	# -j 3: each line up to 3 s early, out of order
	loggen -f combined -r 20:30,200:20,20:30 -j 3 | logparse > "$in"
	logalert -s -w 10 -t 50 "$in" > "$out"
	run grep -c '^second' "$out"
	[ "$output" -gt 10 ]
	run chart_check 10 "$out"
	assert_success
	assert_output '79 windows'
}

@test "-s: the second records come before the window record of their evaluation, each second once" {
	local in="$BATS_TEST_TMPDIR/in.rec"
	{
		echo '#httpmon-records 1'
		for t in 100 101 100 100 102 101 100 99 103; do
			printf 'hit\t%s\t-\t-\tGET\t/\t/\t200\t1\t-\t-\n' "$t"
		done
	} > "$in"
	run -0 logalert -s -w 5 -t 100 "$in"
	assert_output "#httpmon-records 1
window	101	1	0.20	100	1
second	100	3
window	102	4	0.80	100	1
second	101	2
second	100	4
second	99	1
window	103	8	1.60	100	1"
}

# split_runs FIXTURE ARGS... -- the fixture's input cut after each of its
# lines and run in two, the second run restoring the first's --state:
# the two outputs together must be the output of one run
split_runs() {
	local in=$FIXTURES/logalert/$1.in whole n k st=$BATS_TEST_TMPDIR/st
	shift
	whole=$(logalert "$@" < "$in" | grep -v '^#')
	n=$(wc -l < "$in")
	for k in $(seq 0 "$n"); do
		rm -f "$st"
		run --separate-stderr bash -c 'head -n "$1" "$2" | logalert --state "$3" "${@:4}"
		    tail -n +"$(($1 + 1))" "$2" | logalert --state "$3" "${@:4}"' \
		    bash "$k" "$in" "$st" "$@"
		assert_success
		assert_equal "$(printf '%s\n' "$output" | grep -v '^#')" "$whole"
	done
}

@test "--state: a run cut anywhere in two gives the alerts and recoveries of one" {
	split_runs alert-recover-alert -w 10 -t 2
	split_runs worked-example -w 5 -t 1
	split_runs late-and-out-of-order -w 5 -t 1
}

@test "--state: an alert on at exit is restored, and its recovery sent" {
	local st=$BATS_TEST_TMPDIR/s/st
	mkdir "$BATS_TEST_TMPDIR/s"
	{ hit 100; hit 100; hit 100; hit 101; } | logalert -w 2 -t 1 --state "$st" > /dev/null
	run cat "$st"
	assert_output "#logalert-state 1
window 2
threshold 1
time 101
alerting 1
second 100 3
second 101 1"
	run --separate-stderr sh -c "printf 'tick\t110\n' | logalert -w 2 -t 1 --state '$st'"
	assert_success
	assert_line --index 1 --partial $'recover\t103\t1\t'
	assert_equal "$(sed -n 5p "$st")" "alerting 0"
	run ls -A "$BATS_TEST_TMPDIR/s"
	assert_output st	# renamed into place: no temporary file left
}

@test "--state of another window or threshold is ignored with a warning" {
	local st=$BATS_TEST_TMPDIR/st
	{ hit 100; hit 100; hit 100; hit 101; } | logalert -w 2 -t 1 --state "$st" > /dev/null
	cp "$st" "$st.orig"
	run --separate-stderr sh -c "printf 'tick\t110\n' | logalert -w 3 -t 1 --state '$st'"
	assert_success
	assert_equal "$stderr" "logalert: $st:2: another window: state ignored"
	refute_output --partial recover
	cp "$st.orig" "$st"
	run --separate-stderr sh -c "printf 'tick\t110\n' | logalert -w 2 -t 1.5 --state '$st'"
	assert_success
	assert_equal "$stderr" "logalert: $st:3: another threshold: state ignored"
	refute_output --partial recover
}

@test "--state: a damaged state file is ignored with a warning, never trusted in part" {
	local st=$BATS_TEST_TMPDIR/st head=$'#logalert-state 1\nwindow 2\nthreshold 1\ntime 101\nalerting 1'
	damaged() {
		printf '%s\n' "$1" > "$st"
		run --separate-stderr sh -c "printf 'tick\t110\n' | logalert -w 2 -t 1 --state '$st'"
		assert_success
		assert_equal "$stderr" "logalert: $st:$2: $3"
		refute_output --partial recover
	}
	damaged "garbage" 1 "not a logalert state file"
	damaged "$head"$'\nsecond 99 3' 6 "bad second"		# outside the window
	damaged "$head"$'\nsecond 101 -3' 6 "bad second"
	damaged "$head"$'\nsecond 101 1 2' 6 "bad second"
	damaged "$head"$'\nsecond 101 99999999999999999999' 6 "bad second"
	damaged "$head"$'\nsecond 101 '"$(printf '%080d' 1)" 6 "line too long or cut short"
	damaged "${head%alerting 1}alerting 2" 5 "bad alerting flag"
	damaged "${head%$'\nalerting 1'}" 5 "incomplete"
	damaged "$head"$'\nsnooze 1' 6 "unknown line"
	printf '%s' "$head" > "$st"	# no newline at the end: cut short
	run --separate-stderr sh -c "printf 'tick\t110\n' | logalert -w 2 -t 1 --state '$st'"
	assert_equal "$stderr" "logalert: $st:5: line too long or cut short"
}

@test "--state: a missing file is a first run, silently; none is written before a time is seen" {
	run --separate-stderr logalert -w 2 -t 1 --state "$BATS_TEST_TMPDIR/st" < /dev/null
	assert_success
	assert_equal "$stderr" ""
	[ ! -e "$BATS_TEST_TMPDIR/st" ]
}
