#!/usr/bin/env bats
# logview, and httpmon.sh on a terminal: driven for real in a detached tmux
# session of a given size, asserting on what the screen shows.

load test_helper

S=1549573860	# loggen's default start time

setup() {
	SOCK=$BATS_TEST_TMPDIR/tmux.sock	# this test's own tmux server
	LOG=$BATS_TEST_TMPDIR/access.log
	WORK=$BATS_TEST_TMPDIR/tmp
	mkdir -p "$WORK"
	GEN=
}

teardown() {
	[ -z "$GEN" ] || kill "$GEN" 2>/dev/null || true
	tmux -S "$SOCK" kill-server 2>/dev/null || true
	# anything of this test's pipeline still alive, found by its unique path
	local pids
	pids=$(pgrep -f -- "$BATS_TEST_TMPDIR/") && kill $pids 2>/dev/null
	return 0
}

# tm ARGS -- tmux on this test's own server, with no user configuration
tm() {
	tmux -S "$SOCK" -f /dev/null "$@"
}

# start W H COMMAND -- run COMMAND in a detached W x H pane; its exit
# status goes to $BATS_TEST_TMPDIR/status, then the pane stays open
start() {
	local cmd
	cmd="cd $(printf %q "$BATS_TEST_TMPDIR") && trap : INT &&
	    PATH=$(printf %q "$PATH") TMPDIR=$(printf %q "$WORK") $3;
	    echo \"exit \$?\" > status; exec sleep 600"
	tm new-session -d -s view -x "$1" -y "$2" "$cmd"
}

screen() {
	tm capture-pane -p -t view
}

# wait_screen ERE -- wait up to 60 s for the screen to match ERE
wait_screen() {
	local i
	for i in $(seq 1 600); do
		screen | grep -qE -- "$1" && return 0
		sleep 0.1
	done
	echo "the screen never matched: $1" >&2
	screen >&2
	return 1
}

# wait_gone PGID -- wait until no driver, logtail or logview names $LOG
# and no process is left in PGID, the stages' process group
wait_gone() {
	local i re="^(bash [^ ]*httpmon\.sh|logtail|logview) .*$LOG"
	for i in $(seq 1 300); do
		! pgrep -f -- "$re" >/dev/null && ! pgrep -g "$1" >/dev/null &&
		    return 0
		sleep 0.1
	done
	ps -eo pid,pgid,args | grep -F -- "$LOG" >&2
	return 1
}

# job_pgid -- the process group of the stages (logtail's)
job_pgid() {
	local pid
	pid=$(pgrep -f -- "logtail.*$LOG") || return 1
	ps -o pgid= -p "$pid" | tr -d ' '
}

@test "the dashboard shows the alert after a burst, then the recovery, and the top sections" {
	: > "$LOG"
	start 100 30 "httpmon.sh -b -w 5 -t 5 -i 5 $LOG"
	wait_screen 'q to quit'
	loggen -L -f combined -r 20:8,1:60 -o "$LOG" 3>&- &
	GEN=$!
	wait_screen '^ +ALERT +window [0-9]+ hits, [0-9.]+ hits/s \(threshold 5\)'
	wait_screen '^ alerts 1  last alert 20[0-9-]+T[0-9:]+Z  last recovery never'
	wait_screen '^ High traffic generated an alert - hits = [0-9]+, triggered at '
	wait_screen '^ +OK +window [0-9]+ hits'
	wait_screen 'last recovery 20[0-9-]+T[0-9:]+Z'
	wait_screen '^ Traffic recovered - hits = [0-9]+, recovered at '
	# the latest interval's top sections, with hits, bytes and errors
	wait_screen '^ +1 /(api|report|login|pages|images) +[0-9]+ +[0-9.]+ [KMG]?i?B +[0-9]+ +[0-9]+$'
	run screen
	assert_line --index 0 --regexp '^ httpmon: .*access\.log  window 5s  threshold 5/s  interval 5s  q to quit$'
	assert_line --regexp '^ totals: [0-9]+ hits, [0-9.]+ [KMG]?i?B, bad lines 0, late 0$'
	assert_line --regexp '^ 2xx [0-9]+  3xx [0-9]+  4xx [0-9]+  5xx [0-9]+  other 0 \| GET [0-9]+'
	assert_line --partial 'hits/s, last 93s (--- threshold 5)'
}

@test "the screen fits a resize to 80x24 and to 200x60" {
	loggen -f combined -r 8:30 > "$LOG"
	start 100 30 "httpmon.sh -b -w 10 -t 5 -i 10 $LOG"
	wait_screen '^ +1 /'
	tm resize-window -t view -x 80 -y 24
	wait_screen 'hits/s, last 73s'
	[ "$(screen | wc -l)" -eq 24 ]
	run screen
	assert_line --index 0 --regexp '^ httpmon: .*  q to quit$'
	[ "$(screen | awk 'length > 80' | wc -l)" -eq 0 ]
	assert_line --regexp '^ +1 /[a-z]+ +[0-9]+ '
	assert_line --regexp '^ +0\+-73s-+[0-9]{2}:[0-9]{2}:[0-9]{2}$'
	tm resize-window -t view -x 200 -y 60
	wait_screen 'hits/s, last 193s'
	[ "$(screen | wc -l)" -eq 60 ]
	run screen
	assert_line --index 0 --regexp '^ httpmon: .* {20,}q to quit$'
	[ "$(screen | awk 'length > 200' | wc -l)" -eq 0 ]
	assert_line --regexp '^ +0\+-193s-+[0-9]{2}:[0-9]{2}:[0-9]{2}$'
	# the chart takes the rows that are left: more than at 24 rows
	[ "$(screen | grep -c '^ *[0-9]*|')" -gt 30 ]
	assert_line --regexp '^ +1 /[a-z]+ +[0-9]+ '
}

@test "q stops every stage, removes the FIFO folder, restores the terminal, exit 0" {
	loggen -f combined -r 5:20 > "$LOG"
	start 80 24 "httpmon.sh -b -w 10 -t 5 $LOG"
	wait_screen 'q to quit'
	local pgid
	pgid=$(job_pgid)
	[ -n "$pgid" ]
	run pgrep -g "$pgid"
	assert_success	# the stages run in the job's process group
	run ls "$WORK"/httpmon.*/
	assert_output --partial records
	tm send-keys -t view q
	wait_gone "$pgid"
	run ls -A "$WORK"
	assert_output ""
	wait_for test -s "$BATS_TEST_TMPDIR/status"
	run cat "$BATS_TEST_TMPDIR/status"
	assert_output "exit 0"
	run screen
	refute_output --partial 'q to quit'	# the dashboard's screen is gone
}

@test "Ctrl-C (SIGINT) stops every stage and removes the FIFO folder" {
	loggen -f combined -r 5:20 > "$LOG"
	start 80 24 "httpmon.sh -b -w 10 -t 5 $LOG"
	wait_screen 'q to quit'
	local pgid
	pgid=$(job_pgid)
	[ -n "$pgid" ]
	tm send-keys -t view C-c
	wait_gone "$pgid"
	run ls -A "$WORK"
	assert_output ""
	wait_for test -s "$BATS_TEST_TMPDIR/status"
	run cat "$BATS_TEST_TMPDIR/status"
	assert_output "exit 130"
	run screen
	refute_output --partial 'q to quit'
}

@test "escape sequences from the log show escaped, never executed" {
	{
		printf '10.0.0.1 - - [07/Feb/2019:21:11:00 +0000] "GET /\033]0;pwned\007/x HTTP/1.1" 200 12\n'
		printf '10.0.0.2 - - [07/Feb/2019:21:11:01 +0000] "GET /\033[2J HTTP/1.1" 404 7\n'
		printf '10.0.0.3 - - [07/Feb/2019:21:11:02 +0000] "GET /ok HTTP/1.1" 200 5\n'
	} > "$LOG"
	start 100 30 "httpmon.sh -N -w 10 -t 5 $LOG"
	wait_screen 'end of input'
	run screen
	assert_line --regexp '^ +[0-9] /\\033\]0;pwned\\a +1 +12 B +0 +0$'
	assert_line --regexp '^ +[0-9] /\\033\[2J +1 +7 B +1 +0$'
	assert_line --regexp '^ +[0-9] /ok +1 +5 B +0 +0$'
	assert_line --index 0 --partial ' httpmon: '	# not cleared
	run tm display-message -p -t view '#{pane_title}'
	refute_output --partial pwned
	tm send-keys -t view q
	wait_for test -s "$BATS_TEST_TMPDIR/status"
	run cat "$BATS_TEST_TMPDIR/status"
	assert_output "exit 0"
}

@test "--plain on a terminal prints the text stream, not the dashboard" {
	loggen -f csv -r 30:20 > "$LOG"
	start 100 30 "httpmon.sh --plain -N -w 10 -t 25 $LOG"
	wait_screen '^High traffic generated an alert - hits = 270, triggered at '
	wait_screen '^  total 600 hits'
	wait_for test -s "$BATS_TEST_TMPDIR/status"
	run cat "$BATS_TEST_TMPDIR/status"
	assert_output "exit 0"
	run screen
	refute_output --partial 'q to quit'
}

@test "logview alone: a records file, drawn exactly, end of input kept on screen" {
	{
		printf '#httpmon-records 1\n'
		printf 'window\t%s\t0\t0.00\t2\t0\n' 1000
		for t in $(seq 1001 1010); do
			printf 'window\t%s\t%s\t%s\t2\t%s\n' "$t" $(( (t - 1000) * 3 )) \
			    "$(printf '%d.%02d' $(( (t - 1000) * 3 / 10 )) $(( (t - 1000) * 3 % 10 * 10 )))" 3
		done
		printf 'alert\t1007\t21\t2.10\t2\tHigh traffic generated an alert - hits = 21, triggered at 1970-01-01T00:16:47Z\thits\n'
		printf 'stats\t1010\t10\t30\t3.00\t3072\t30\t3072\t25\t2\t2\t1\t0\t4\t1\t2\t0\t0\t0\n'
		printf 'section\t1010\t1\t/api\t20\t2048\t2\t1\n'
		printf 'section\t1010\t2\t/pages\t10\t1024\t0\t0\n'
		printf 'method\t1010\tGET\t28\n'
		printf 'method\t1010\tPOST\t2\n'
		printf 'garbage\n'
	} > "$BATS_TEST_TMPDIR/records"
	start 80 24 "logview -l access.log -w 10 -i 10 records"
	wait_screen 'end of input'
	# 3 hits in each second 1000..1009: full bars, over the threshold line
	diff -u - <(screen) <<-'EOF'
	 httpmon: access.log  window 10s  threshold 2/s  interval 10s        q to quit
	  ALERT   window 30 hits, 3.00 hits/s (threshold 2) at 00:16:50
	 alerts 1  last alert 1970-01-01T00:16:47Z  last recovery never
	 High traffic generated an alert - hits = 21, triggered at 1970-01-01T00:16:47Z

	 totals: 30 hits, 3.0 KiB, bad lines 2, late 1
	 last 10s to 00:16:50: 30 hits, 3.00/s, 3.0 KiB, 4 hosts
	 2xx 25  3xx 2  4xx 2  5xx 1  other 0 | GET 28 POST 2
	   # section                                      hits      bytes    4xx    5xx
	   1 /api                                           20    2.0 KiB      2      1
	   2 /pages                                         10    1.0 KiB      0      0
	 hits/s, last 73s (--- threshold 2)
	    3|                                                               ##########
	     |                                                               ##########
	     |                                                               ##########
	    2|---------------------------------------------------------------##########
	     |                                                               ##########
	     |                                                               ##########
	     |                                                               ##########
	     |                                                               ##########
	     |                                                               ##########
	     |                                                               ##########
	    0+-73s-------------------------------------------------------------00:16:49
	 end of input; 1 malformed record
	EOF
	tm send-keys -t view q
	wait_for test -s "$BATS_TEST_TMPDIR/status"
	run cat "$BATS_TEST_TMPDIR/status"
	assert_output "exit 0"
}

@test "logview alone: a second record raises a bar already drawn (lines that came late)" {
	{
		printf '#httpmon-records 1\n'
		for t in $(seq 1001 1010); do
			printf 'window\t%s\t%s\t0.10\t1\t1\n' "$t" $((t - 1000))
		done
		# seconds 1006 and 1007 got 3 more hits each after their report
		printf 'second\t1006\t4\nsecond\t1007\t4\n'
		# a second no longer on the chart, or never drawn: ignored
		printf 'second\t17\t9\nsecond\t5000\t9\n'
		printf 'window\t1011\t16\t1.60\t1\t1\n'
	} > "$BATS_TEST_TMPDIR/records"
	start 80 24 "logview -l access.log -w 10 records"
	wait_screen 'end of input'
	run screen
	refute_output --partial malformed
	# the chart's top is the 4 hits of 1006 and 1007, the others are 1
	assert_line --regexp '^    4\| +##$'
	assert_line --regexp '^    1\|-+###########$'
}

@test "logview alone: one window record of 2^58 hits in a second leaves it running" {
	printf 'window\t1001\t5\t0.50\t2\t288230376151711744\n' \
	    > "$BATS_TEST_TMPDIR/records"
	start 80 24 "logview -l access.log -w 10 records"
	wait_screen 'end of input'
	run screen
	assert_line --partial 'end of input; 1 malformed record'
	tm send-keys -t view q
	wait_for test -s "$BATS_TEST_TMPDIR/status"
	run cat "$BATS_TEST_TMPDIR/status"
	assert_output "exit 0"
}

@test "logview alone, a fleet: the title says fleet of N servers, a panel shows each server, a silent one and its fleet alert" {
	{
		printf '#httpmon-records 1\n'
		printf 'server\t1010\tweb1\t1010\t0\t120\t0\n'
		printf 'server\t1010\tweb2\t1009\t1\t95\t0\n'
		printf 'server\t1010\tweb3\t1010\t0\t80\t0\n'
		printf 'alert\t1021\t0\t0\t0\tServer web3 stopped sending - last data at 1970-01-01T00:16:50Z\tsilent:web3\n'
		printf 'server\t1021\tweb3\t1010\t11\t0\t11\n'
	} > "$BATS_TEST_TMPDIR/records"
	start 100 24 "logview -l nats://a:4222,nats://b:4222,nats://c:4222 -w 10 records"
	wait_screen 'end of input'
	run screen
	assert_line --regexp '^ httpmon: fleet of 3 servers  window 10s'
	refute_output --partial 'nats://'
	assert_line --regexp '^ web1 lag 0s 120 hits   web2 lag 1s 95 hits   web3 SILENT 11s$'
	assert_line ' Server web3 stopped sending - last data at 1970-01-01T00:16:50Z'
	# a fleet alert is no threshold alert: the state stays OK
	assert_line --regexp '^ +OK +window'
	refute_output --partial 'malformed'
}

@test "logview alone: huge numbers are range-checked, never overflow: 2^58 hits is a malformed record, not SIGFPE" {
	{
		printf '#httpmon-records 1\n'
		# the largest count logview takes (10^15): drawn, to scale
		printf 'window\t1001\t5\t0.50\t2\t1000000000000000\n'
		printf 'window\t1002\t5\t0.50\t1\t2\n'
		# 2^58 hits in a second (one roll record on the fleet subject)
		printf 'window\t1003\t5\t0.50\t1\t288230376151711744\n'
		printf 'second\t1002\t288230376151711744\n'
		printf 'alert\t1003\t288230376151711744\t1.00\t1\tx\thits\n'
		printf 'stats\t1010\t10\t1\t0.10\t1\t1\t1\t1\t0\t0\t0\t0\t1\t0\t9223372036854775807\t0\t0\t0\n'
		# a time past 9999, an interval that starts before 1970
		printf 'window\t253402300801\t5\t0.50\t1\t2\n'
		printf 'stats\t5\t10\t1\t0.10\t1\t1\t1\t1\t0\t0\t0\t0\t1\t0\t0\t0\t0\t0\n'
	} > "$BATS_TEST_TMPDIR/records"
	start 80 24 "logview -l access.log -w 10 records"
	wait_screen 'end of input'
	run screen
	assert_line --partial 'end of input; 6 malformed records'
	assert_line --regexp '^1000000000000000\| +#$'
	tm send-keys -t view q
	wait_for test -s "$BATS_TEST_TMPDIR/status"
	run cat "$BATS_TEST_TMPDIR/status"
	assert_output "exit 0"
}

@test "logview: -h, -V, a bad option, and no terminal" {
	run -0 logview -h
	assert_output "usage: logview [-hV] [-i interval] [-l log] [-t threshold] [-w window] [file]"
	run -0 logview -V
	assert_output "logview 0.1.0"
	run -64 logview --bogus
	assert_line --index 1 --partial "usage: logview"
	run -64 logview -t ten /dev/null
	assert_output "logview: -t ten: not a threshold (hits/s, a decimal number, at most 6 decimals)"
	run -1 setsid -w logview /dev/null
	assert_output --partial "/dev/tty"
}
