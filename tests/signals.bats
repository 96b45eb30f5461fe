#!/usr/bin/env bats
# Signals and plumbing: a reader that goes away ends every stage quietly;
# SIGTERM ends a stage even while its reader has stopped reading; SIGTERM
# and SIGINT to httpmon.sh end every stage whatever each was doing and
# remove the FIFO folder; a stage that dies is named by the driver, which
# exits 1; no process of the job is left.  (The idle-follow signal cases
# and a failing logalert are in httpmon.bats.)

load test_helper

setup_file() {
	local d=$BATS_FILE_TMPDIR
	# enough output to fill the 1 MiB pipes the stages ask for, and more
	loggen -f clf -r 5:100000 > "$d/big.log"		# 500,000 lines
	awk 'BEGIN { for (i = 0; i < 100000; i++)	# a hit a second
		printf "hit\t%d\th\t-\tGET\t/a/b\t/a\t200\t5\t-\t-\n", 1549573860 + i }' \
	    > "$d/big.rec"
	logstats -i 1 < "$d/big.rec" > "$d/big.stats"	# 100,000 blocks
}

# quiet_sigpipe CMD -- CMD's reader reads one line and goes away: CMD
# must end by SIGPIPE (141) with nothing on stderr; with SIGPIPE ignored
# (as some parents leave it) it must exit 0, again silently.
quiet_sigpipe() {
	cd "$BATS_FILE_TMPDIR"
	run bash -c "$1 2>err | head -n 1 >/dev/null; echo \"\${PIPESTATUS[0]}\"; cat err"
	assert_output 141
	run bash -c "trap '' PIPE; $1 2>err | head -n 1 >/dev/null; echo \"\${PIPESTATUS[0]}\"; cat err"
	assert_output 0
}

@test "SIGPIPE: loggen ends quietly when its reader goes away" {
	quiet_sigpipe "loggen -f clf -n 1000000"
}

@test "SIGPIPE: logtail --no-follow ends quietly when its reader goes away" {
	quiet_sigpipe "logtail -N big.log"
}

@test "SIGPIPE: logtail following an idle file ends at its next tick" {
	: > "$BATS_TEST_TMPDIR/idle.log"
	quiet_sigpipe "logtail --ticks $BATS_TEST_TMPDIR/idle.log"
}

@test "SIGPIPE: logparse ends quietly when its reader goes away" {
	quiet_sigpipe "logparse big.log"
}

@test "SIGPIPE: logalert ends quietly when its reader goes away" {
	quiet_sigpipe "logalert -s big.rec"
}

@test "SIGPIPE: logstats ends quietly when its reader goes away" {
	quiet_sigpipe "logstats -i 1 big.rec"
}

@test "SIGPIPE: logshow ends quietly when its reader goes away" {
	quiet_sigpipe "logshow big.stats"
}

@test "SIGPIPE: logjson ends quietly when its reader goes away" {
	[ -x "$BIN/logjson" ] || skip "no logjson"
	quiet_sigpipe "logjson big.rec"
}

# blocked_in_write PID -- the process sleeps in a write to a pipe
blocked_in_write() {
	grep -q pipe_write "/proc/$1/wchan"
}

# term_while_blocked CMD... -- CMD writes into a FIFO whose reader never
# reads; once it is blocked in write(2), SIGTERM must end it (143).
term_while_blocked() {
	local fifo=$BATS_TEST_TMPDIR/fifo pid sleeper st=0
	mkfifo "$fifo"
	sleep 120 < "$fifo" 3>&- &
	sleeper=$!
	"$@" > "$fifo" 2> "$BATS_TEST_TMPDIR/err" 3>&- &
	pid=$!
	wait_for blocked_in_write "$pid"
	kill -TERM "$pid"
	wait_for sh -c "! kill -0 $pid 2>/dev/null || grep -q '^State:.*Z' /proc/$pid/status"
	wait "$pid" || st=$?
	kill "$sleeper"
	wait "$sleeper" || true
	assert_equal "$st" 143
	run cat "$BATS_TEST_TMPDIR/err"
	assert_output ""
}

@test "SIGTERM ends logparse blocked on a reader that does not read" {
	cd "$BATS_FILE_TMPDIR"
	term_while_blocked logparse big.log
}

@test "SIGTERM ends logtail blocked on a reader that does not read" {
	cd "$BATS_FILE_TMPDIR"
	term_while_blocked logtail -b big.log
}

@test "SIGTERM ends logalert, logstats and logshow blocked on a reader that does not read" {
	cd "$BATS_FILE_TMPDIR"
	term_while_blocked logalert -s big.rec
	rm "$BATS_TEST_TMPDIR/fifo"
	term_while_blocked logstats -i 1 big.rec
	rm "$BATS_TEST_TMPDIR/fifo"
	term_while_blocked logshow big.stats
}

# start_driver ARGS... -- httpmon.sh in the background with a private
# TMPDIR; sets mon (its pid), job (the stages' process group) and tmp.
start_driver() {
	tmp=$BATS_TEST_TMPDIR/tmp
	mkdir -p "$tmp"
	TMPDIR=$tmp httpmon.sh --plain "$@" 2> "$BATS_TEST_TMPDIR/err" 3>&- &
	mon=$!
	wait_for sh -c "test -p $tmp/httpmon.*/records"
	wait_for sh -c "pgrep -P $mon > /dev/null"
	job=$(pgrep -P "$mon" | head -1)
}

# all_gone -- the driver's job has no process left and its folder is gone
all_gone() {
	wait_for sh -c "! pgrep -g $job > /dev/null"
	run pgrep -g "$job"
	assert_output ""
	run ls -A "$tmp"
	assert_output ""
}

@test "SIGTERM to httpmon.sh while every stage is blocked on a stalled reader" {
	local fifo=$BATS_TEST_TMPDIR/out sleeper st=0
	mkfifo "$fifo"
	sleep 120 < "$fifo" 3>&- &
	sleeper=$!
	exec 4> "$fifo"		# the driver's stdout: opened, never read
	start_driver -N -i 1 "$BATS_FILE_TMPDIR/big.log" >&4
	exec 4>&-
	# logshow is stuck writing; the stages behind it fill their pipes
	wait_for sh -c "pgrep -g $job -x logshow > /dev/null"
	wait_for blocked_in_write "$(pgrep -g "$job" -x logshow)"
	kill -TERM "$mon"
	wait "$mon" || st=$?
	kill "$sleeper"
	wait "$sleeper" || true
	assert_equal "$st" 143
	all_gone
}

@test "SIGINT to httpmon.sh in the middle of a busy replay" {
	local st=0
	set -m	# as at a terminal, so that the background driver may trap SIGINT
	start_driver -N "$BATS_FILE_TMPDIR/big.log" > /dev/null
	set +m
	wait_for sh -c "pgrep -g $job -x logparse > /dev/null"
	kill -INT "$mon"
	wait "$mon" || st=$?
	# 130, or 0 if the replay was already over when the signal came
	[ "$st" -eq 130 ] || [ "$st" -eq 0 ]
	all_gone
}

# kill_stage NAME -- SIGKILL one stage of a live driver: the driver must
# say which stage failed, exit 1 and leave nothing behind.
kill_stage() {
	local st=0 pid
	: > "$BATS_TEST_TMPDIR/a.log"
	start_driver "$BATS_TEST_TMPDIR/a.log" > /dev/null
	wait_for sh -c "pgrep -g $job -x $1 > /dev/null"
	pid=$(pgrep -g "$job" -x "$1")
	kill -KILL "$pid"
	wait "$mon" || st=$?
	assert_equal "$st" 1
	run grep -c "^httpmon.sh: .* failed" "$BATS_TEST_TMPDIR/err"
	assert_output 1
	run grep "^httpmon.sh: " "$BATS_TEST_TMPDIR/err"
	assert_output "httpmon.sh: $1 failed (exit status 137)"
	all_gone
}

@test "a stage killed is named by the driver, which exits 1: logtail" {
	kill_stage logtail
}

@test "a stage killed is named by the driver, which exits 1: logparse" {
	kill_stage logparse
}

@test "a stage killed is named by the driver, which exits 1: logalert" {
	kill_stage logalert
}

@test "a stage killed is named by the driver, which exits 1: logstats" {
	kill_stage logstats
}

@test "a stage killed is named by the driver, which exits 1: logshow" {
	kill_stage logshow
}
