#!/usr/bin/env bats
# httpmon.sh end to end: replays of generated logs against the alert rule,
# live following while loggen writes, signals, and failures.

load test_helper

S=1549573860	# loggen's default start time

# expected_by_rule W THRESHOLD < hit records -- an independent, brute-force
# reading of the rule in awk: at each second boundary t crossed, count the
# hits in [t-W, t-1] that arrived so far by scanning them all.
expected_by_rule() {
	awk -F'\t' -v W="$1" -v thr="$2" '
	$1 != "hit" { next }
	{
		x = $2 + 0
		if (started && x > T) {
			for (t = T + 1; t <= x; t++) {
				h = 0
				for (i = 1; i <= n; i++)
					if (tm[i] >= t - W && tm[i] <= t - 1) h++
				if (!alert && h / W > thr) { alert = 1; print "alert", t, h }
				else if (alert && h / W <= thr) { alert = 0; print "recover", t, h }
			}
		}
		if (!started || x > T) { T = x; started = 1 }
		if (x >= T + 1 - W) tm[++n] = x
	}'
}

@test "replay of a CSV log: the alert and recovery are where the rule puts them" {
	# 5 hits/s for 300 s, 20 hits/s for 200 s, 2 hits/s for 400 s, W=120, 10/s:
	# at S+300+k the window holds 20k + 5(120-k) hits, first over 1200 at k=41;
	# at S+500+m it holds 2m + 20(120-m), first at most 1200 at m=67.
	loggen -f csv -r 5:300,20:200,2:400 > "$BATS_TEST_TMPDIR/access.csv"
	run --separate-stderr httpmon.sh --no-follow "$BATS_TEST_TMPDIR/access.csv"
	assert_success
	local k=41 m=67
	local up=$((S + 300 + k)) down=$((S + 500 + m))
	local uphits=$((20 * k + 5 * (120 - k))) downhits=$((2 * m + 20 * (120 - m)))
	run grep -E '^(High traffic|Traffic recovered)' <<<"$output"
	assert_equal "${#lines[@]}" 2
	assert_line --index 0 "High traffic generated an alert - hits = $uphits, triggered at $(date -u -d @$up +%Y-%m-%dT%H:%M:%SZ)"
	assert_line --index 1 "Traffic recovered - hits = $downhits, recovered at $(date -u -d @$down +%Y-%m-%dT%H:%M:%SZ)"
}

@test "replay of a jittered CLF log: alerts match a brute-force reading of the rule" {
	loggen -f clf -r 3:100,12:90,1:100,15:40,2:100 -j 3 -S 7 > "$BATS_TEST_TMPDIR/access.log"
	logparse "$BATS_TEST_TMPDIR/access.log" | expected_by_rule 30 8 > "$BATS_TEST_TMPDIR/expected"
	[ "$(wc -l < "$BATS_TEST_TMPDIR/expected")" -ge 4 ]	# the log does alert, twice
	run --separate-stderr httpmon.sh -N -w 30 -t 8 "$BATS_TEST_TMPDIR/access.log"
	assert_success
	grep -E '^(High traffic|Traffic recovered)' <<<"$output" |
	    sed -E 's/^High traffic generated an alert - hits = ([0-9]+), triggered at (.*)$/alert \2 \1/;
	        s/^Traffic recovered - hits = ([0-9]+), recovered at (.*)$/recover \2 \1/' |
	    while read -r kind when hits; do echo "$kind $(date -u -d "$when" +%s) $hits"; done \
	    > "$BATS_TEST_TMPDIR/got"
	diff -u "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/got"
}

@test "replay: the stats count every line of the log, and the bad ones" {
	loggen -f combined -r 7:95 > "$BATS_TEST_TMPDIR/access.log"
	printf 'this is not a log line\n' >> "$BATS_TEST_TMPDIR/access.log"
	run --separate-stderr httpmon.sh --no-follow -i 10 "$BATS_TEST_TMPDIR/access.log"
	assert_success
	# 95 s from an aligned start: 9 full intervals and one of 5 s
	run grep -c 'last 10s' <<<"$output"
	assert_output 10
	# logparse reads the log through logtail: it names its stdin
	[[ "$stderr" == *":666: "* ]]
}

@test "live: an alert while loggen writes fast, then its recovery when it slows" {
	local log=$BATS_TEST_TMPDIR/live.log out=$BATS_TEST_TMPDIR/out
	: > "$log"
	loggen -L -f combined -r 20:8,1:60 -o "$log" 3>&- &
	local gen=$!
	httpmon.sh -b -w 5 -t 5 -i 5 "$log" > "$out" 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	local mon=$!
	wait_for grep -q '^High traffic generated an alert' "$out"
	wait_for grep -q '^Traffic recovered' "$out"
	kill "$gen" "$mon"
	wait "$mon" || true
	wait "$gen" || true
}

@test "live: an alert recovers after the writer stops entirely (idle ticks)" {
	local log=$BATS_TEST_TMPDIR/live.log out=$BATS_TEST_TMPDIR/out
	: > "$log"
	httpmon.sh -w 4 -t 5 -i 5 "$log" > "$out" 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	local mon=$!
	sleep 1
	loggen -L -f clf -r 25:5 -o "$log"	# then silence
	local stopped=$(date +%s)
	wait_for grep -q '^High traffic generated an alert' "$out"
	# ticks run 20 s behind the wall clock (logtail -a): the window
	# empties about 25 s after the writer stops; wait up to 40 s
	wait_for grep -q '^Traffic recovered' "$out" ||
	    wait_for grep -q '^Traffic recovered' "$out"
	local rec
	rec=$(date -u -d "$(sed -n 's/^Traffic recovered.* recovered at //p' "$out")" +%s)
	# in log time the window empties W seconds after the last hit
	# (generous: a loaded machine may run the ticks late)
	[ $((rec - stopped)) -le 30 ]
	kill "$mon"
	wait "$mon" || true
}

@test "SIGTERM stops every stage and removes the FIFO folder" {
	local log=$BATS_TEST_TMPDIR/a.log tmp=$BATS_TEST_TMPDIR/tmp
	mkdir "$tmp"
	: > "$log"
	TMPDIR=$tmp httpmon.sh "$log" > /dev/null 2>&1 3>&- &
	local mon=$!
	wait_for sh -c "test -p $tmp/httpmon.*/records"
	local job
	job=$(pgrep -P "$mon" | head -1)
	[ -n "$job" ]
	run pgrep -g "$job"
	assert_success	# the stages run in the job's process group
	kill -TERM "$mon"
	local st=0
	wait "$mon" || st=$?
	assert_equal "$st" 143
	wait_for sh -c "! pgrep -g $job"
	run ls -A "$tmp"
	assert_output ""
}

@test "SIGINT stops every stage and removes the FIFO folder" {
	local log=$BATS_TEST_TMPDIR/a.log tmp=$BATS_TEST_TMPDIR/tmp
	mkdir "$tmp"
	: > "$log"
	# with job control on, as at a terminal: else bash starts a background
	# command with SIGINT ignored, and an ignored signal cannot be trapped
	set -m
	TMPDIR=$tmp httpmon.sh "$log" > /dev/null 2>&1 3>&- &
	local mon=$!
	set +m
	wait_for sh -c "test -p $tmp/httpmon.*/records"
	local job
	job=$(pgrep -P "$mon" | head -1)
	kill -INT "$mon"
	local st=0
	wait "$mon" || st=$?
	assert_equal "$st" 130
	wait_for sh -c "! pgrep -g $job"
	run ls -A "$tmp"
	assert_output ""
}

@test "a stage that dies is named, and the driver exits 1" {
	local fake=$BATS_TEST_TMPDIR/fakebin
	mkdir "$fake"
	cp "$BIN"/log* "$ROOT/bin/httpmon.sh" "$fake/"
	# a logalert that passes the option check but dies on its first record
	printf '#!/bin/sh\nread -r line || exit 0\necho "logalert: boom" >&2\nexit 3\n' > "$fake/logalert"
	chmod +x "$fake/logalert"
	loggen -f clf -r 5:20 > "$BATS_TEST_TMPDIR/access.log"
	run --separate-stderr "$fake/httpmon.sh" -N "$BATS_TEST_TMPDIR/access.log"
	assert_failure 1
	[[ "$stderr" == *"httpmon.sh: logalert failed (exit status 3)"* ]]
}

@test "bad options and a missing file give a clear message and the right status" {
	run -64 httpmon.sh --bogus
	assert_output --partial "unknown option --bogus"
	run -64 httpmon.sh -t ten /dev/null
	assert_output --partial "-t ten: not a threshold"
	run -64 httpmon.sh --window 0 /dev/null
	run -64 httpmon.sh --interval
	assert_output --partial "needs a value"
	run -66 httpmon.sh --no-follow "$BATS_TEST_TMPDIR/missing.log"
	assert_output "httpmon.sh: $BATS_TEST_TMPDIR/missing.log: no such file"
	run -0 httpmon.sh -h
	assert_output --partial "--time_window"
}

@test "--time_window and --threshold=VALUE spellings are accepted" {
	loggen -f csv -r 30:20 > "$BATS_TEST_TMPDIR/access.csv"
	run --separate-stderr httpmon.sh --no-follow --time_window 10 --threshold=25 "$BATS_TEST_TMPDIR/access.csv"
	assert_success
	# 30 hits/s: the 10 s window first holds more than 250 hits at S+9 (270)
	assert_line "High traffic generated an alert - hits = 270, triggered at $(date -u -d @$((S + 9)) +%Y-%m-%dT%H:%M:%SZ)"
}

@test "--state: a second replay reads only the lines added since the first" {
	local log=$BATS_TEST_TMPDIR/access.log st=$BATS_TEST_TMPDIR/tail.state
	loggen -f clf -r 4:10 > "$log"
	run --separate-stderr httpmon.sh -N -s "$st" "$log"
	assert_success
	assert_line --partial "total 40 hits"
	loggen -f clf -r 3:10 -s $((S + 10)) >> "$log"
	run --separate-stderr httpmon.sh -N -s "$st" "$log"
	assert_success
	assert_line --partial "total 30 hits"
	refute_line --partial "total 70 hits"
}
