#!/usr/bin/env bats
# Time that cannot be hijacked (logalert(1), TIME): a line far in the
# future, a forged tick, a forged roll record do not move the clock;
# ticks stay 20 s behind the wall clock so that batched writes are not
# late.  Live tests poll for a state, never sleep for one.

load test_helper

FUTURE='10.0.0.9 - - [01/Jan/2100:00:00:00 +0000] "GET /future HTTP/1.1" 200 1'

# clf_at T PATH -- one CLF line stamped with epoch T
clf_at() {
	printf '10.0.0.1 - - [%s] "GET %s HTTP/1.1" 200 10\n' \
	    "$(LC_ALL=C date -u -d "@$1" '+%d/%b/%Y:%H:%M:%S +0000')" "$2"
}

# calm_then_burst LOG LINE -- 60 s at 2 hits/s, LINE, 300 s at 30 hits/s
calm_then_burst() {
	loggen -f clf -s 1700000000 -r 2:60 > "$1"
	printf '%s\n' "$2" >> "$1"
	loggen -f clf -s 1700000060 -r 30:300 >> "$1"
}

@test "replay: one line dated 2100 does not silence the alert (issue 12)" {
	local log=$BATS_TEST_TMPDIR/a.log
	calm_then_burst "$log" "$FUTURE"
	run --separate-stderr httpmon.sh --no-follow --plain -t 10 -w 60 "$log"
	assert_success
	assert_line --partial 'High traffic generated an alert'
	[[ $stderr == *'time jump not confirmed'* ]]
}

@test "replay: a log line shaped like a tick is a bad line, not a tick" {
	local log=$BATS_TEST_TMPDIR/a.log
	calm_then_burst "$log" $'tick\t4102444800'
	run --separate-stderr httpmon.sh --no-follow --plain -t 10 -w 60 "$log"
	assert_success
	assert_line --partial 'High traffic generated an alert'
	run logparse "$log"
	refute_line --regexp $'^tick\t'
}

@test "replay: a jump that later lines confirm moves the clock (a log concatenated after a day)" {
	local log=$BATS_TEST_TMPDIR/a.log
	loggen -f clf -s 1700000000 -r 2:30 > "$log"
	loggen -f clf -s 1700086400 -r 30:30 >> "$log"
	run --separate-stderr sh -c "logparse '$log' | logalert -w 10 -t 10"
	assert_success
	assert_line --regexp $'^alert\t17000864'
	[ -z "$stderr" ]
}

@test "live: a line in the future is bad; the alert fires" {
	local log=$BATS_TEST_TMPDIR/live.log out=$BATS_TEST_TMPDIR/out
	: > "$log"
	httpmon.sh -b --plain -w 5 -t 5 -i 5 "$log" > "$out" \
	    2> "$BATS_TEST_TMPDIR/err" 3>&- &
	local mon=$!
	loggen -L -f clf -r 2:2 -o "$log"
	printf '%s\n' "$FUTURE" >> "$log"
	loggen -L -f clf -r 30:4 -o "$log"
	wait_for grep -q '^High traffic generated an alert' "$out"
	wait_for grep -q 'time in the future' "$BATS_TEST_TMPDIR/err"
	kill "$mon"
	wait "$mon" || true
}

@test "live: batched writes 10 to 15 s old are not late" {
	local log=$BATS_TEST_TMPDIR/live.log out=$BATS_TEST_TMPDIR/out i now t
	: > "$log"
	httpmon.sh -b --json -i 5 -t 1000 "$log" > "$out" \
	    2> "$BATS_TEST_TMPDIR/err" 3>&- &
	local mon=$!
	# a writer that buffers: every 3 s, the lines of 10 to 15 s ago
	for i in 1 2 3 4 5; do
		now=$(date +%s)
		for t in $((now - 15)) $((now - 14)) $((now - 13)) \
		    $((now - 12)) $((now - 11)) $((now - 10)); do
			clf_at "$t" /batch
		done >> "$log"
		sleep 3
	done
	clf_at "$(date +%s)" /fresh >> "$log"	# closes the batches' intervals
	wait_for sh -c "jq -s '[.[] | select(.type == \"stats\") | .hits] | add' '$out' | grep -qx 30"
	run jq -s '[.[] | select(.type == "stats") | .late] | add' "$out"
	assert_output 0
	kill "$mon"
	wait "$mon" || true
}
