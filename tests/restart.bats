#!/usr/bin/env bats
# Restarts with --state (issue 12, item 7): a stop of the live driver,
# with hits still in the pipes, and a start again with the same state
# lose no hit and count none twice; an alert on at the stop recovers
# after the restart, its hook runs; a replay with the same state after
# them reads nothing again.  The log lines are dated from the wall clock
# on (a few seconds ahead at most), so that logtail's idle ticks never
# make them late: log time alone moves each window.

load test_helper

setup() {
	T=$BATS_TEST_TMPDIR
	LOG=$T/access.log
	ST=$T/state
	NOW=$(date +%s)
	: > "$LOG"
}

# start ARGS... -- httpmon.sh --json following $LOG with --state $ST, in
# the background, its output appended to $T/out.N (N counts the runs);
# sets mon (its pid) and run (N)
start() {
	run_no=$(( ${run_no:-0} + 1 ))
	TMPDIR=$T httpmon.sh --json -s "$ST" "$@" "$LOG" \
	    > "$T/out.$run_no" 2>> "$T/err" 3>&- &
	mon=$!
	wait_for sh -c "pgrep -P $mon > /dev/null"
}

# stop -- SIGTERM to the driver; it must exit 143 and leave no folder
stop() {
	local st=0
	kill -TERM "$mon"
	wait "$mon" || st=$?
	assert_equal "$st" 143
	run sh -c "ls -d $T/httpmon.* 2>/dev/null"
	assert_output ""
}

# hits FILE... -- the hits that the stats records of FILE... count
hits() {
	cat "$@" | jq -s 'map(select(.type == "stats") | .hits) | add // 0'
}

# has_stats FILE -- FILE holds a stats record
has_stats() {
	grep -q '"type":"stats"' "$1"
}

@test "--state: a stop with hits in flight and a restart count each hit once" {
	loggen -f clf -s "$NOW" -r 35:10 > "$T/part1"
	loggen -f clf -s $((NOW + 10)) -r 40:10 > "$T/part2"
	start -b -i 2
	cat "$T/part1" >> "$LOG"
	# stopped as soon as the first interval is out: the rest in flight
	wait_for has_stats "$T/out.1"
	stop
	cat "$T/part2" >> "$LOG"
	start -i 2
	wait_for has_stats "$T/out.2"
	stop
	run hits "$T/out.1" "$T/out.2"
	assert_output 750
	# a replay with the same state: nothing new, nothing counted again
	run --separate-stderr httpmon.sh -N --json -s "$ST" -i 2 "$LOG"
	assert_success
	run hits <(printf '%s\n' "$output")
	assert_output 0
	# the whole log replayed afresh counts the same hits
	run --separate-stderr httpmon.sh -N --json -i 2 "$LOG"
	assert_success
	run hits <(printf '%s\n' "$output")
	assert_output 750
}

@test "--state: an alert on at a stop recovers after the restart, and its hook runs" {
	local hook='echo "$HTTPMON_KIND $HTTPMON_TIME" >> "$HOOKLOG"'
	export HOOKLOG=$T/hooks
	# 20 hits/s for 10 s: over 5/s in a 10 s window from NOW+3
	loggen -f clf -s "$NOW" -r 20:10 > "$T/burst"
	# then 1 hit/s for 15 s: the window falls to 5/s at NOW+18
	loggen -f clf -s $((NOW + 10)) -r 1:15 > "$T/calm"
	start -b -w 10 -t 5 --on-alert "$hook"
	cat "$T/burst" >> "$LOG"
	wait_for grep -q '"type":"alert"' "$T/out.1"
	stop
	[ -s "$ST.alert" ]
	cat "$T/calm" >> "$LOG"
	start -w 10 -t 5 --on-alert "$hook"
	wait_for grep -q '"type":"recover"' "$T/out.2"
	stop
	run jq -r 'select(.type == "alert" or .type == "recover") |
	    "\(.type) \(.time)"' "$T/out.1" "$T/out.2"
	assert_output "alert $((NOW + 3))
recover $((NOW + 18))"
	wait_for grep -q "^recover" "$HOOKLOG"
	run cat "$HOOKLOG"
	assert_output "alert $((NOW + 3))
recover $((NOW + 18))"
	# a replay with the same state: nothing new, no event again
	run --separate-stderr httpmon.sh -N --json -s "$ST" -w 10 -t 5 \
	    --on-alert "$hook" "$LOG"
	assert_success
	refute_output --partial '"type":"alert"'
	refute_output --partial '"type":"recover"'
}
