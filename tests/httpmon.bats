#!/usr/bin/env bats
# httpmon.sh end to end: replays of generated logs against the alert rule,
# live following while loggen writes, signals, and failures.

load test_helper

S=1549573860	# loggen's default start time

teardown() {
	# anything of this test's run still alive (a test that failed), found
	# by its unique path
	local pids
	pids=$(pgrep -f -- "$BATS_TEST_TMPDIR/") && kill -KILL $pids 2>/dev/null
	return 0
}

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

# following LOG -- the driver's logtail holds LOG open: a line appended
# from now on is read
following() {
	local pid fd
	pid=$(pgrep -f -- "logtail .*$1\$") || return 1
	for fd in /proc/$pid/fd/*; do
		[ "$(readlink "$fd")" = "$1" ] && return 0
	done
	return 1
}

# to_files CMD... -- CMD with its output in the files out and err: a stage
# it leaves behind cannot hold bats' own pipe open
to_files() {
	"$@" > "$BATS_TEST_TMPDIR/out" 2> "$BATS_TEST_TMPDIR/err" 3>&-
}

# group_of PID -- the process group of PID
group_of() {
	ps -o pgid= -p "$1" | tr -d ' '
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
	wait_for following "$log"
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

@test "kill -9 of the driver: the stages end within seconds, the FIFO folder goes" {
	local log=$BATS_TEST_TMPDIR/a.log tmp=$BATS_TEST_TMPDIR/tmp
	mkdir "$tmp"
	: > "$log"
	TMPDIR=$tmp httpmon.sh --plain "$log" > /dev/null \
	    2> "$BATS_TEST_TMPDIR/err" 3>&- &
	local mon=$!
	wait_for following "$log"
	local tail job
	tail=$(pgrep -f -- "logtail .*$log\$")
	job=$(group_of "$tail")
	[ -n "$job" ]
	run pgrep -g "$job"
	assert_success
	[ "${#lines[@]}" -ge 6 ]	# logtail, logparse, logtee, logalert, logstats, logshow
	kill -KILL "$mon"
	wait "$mon" || true
	wait_for sh -c "! pgrep -g $job > /dev/null"
	run ls -A "$tmp"
	assert_output ""
	grep -q "logguard: the driver ($mon) has gone: stopping its stages" \
	    "$BATS_TEST_TMPDIR/err"
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

# three_parts -- a CLF log in three consecutive parts (5, 20, then 2
# hits/s for 100 s each) in a, b and c, and all of it in whole
three_parts() {
	cd "$BATS_TEST_TMPDIR"
	loggen -f clf -r 5:100 > a
	loggen -f clf -r 20:100 -s $((S + 100)) > b
	loggen -f clf -r 2:100 -s $((S + 200)) > c
	cat a b c > whole
}

# same_records FILE OUT -- OUT holds what a replay of FILE prints (the two
# streams logshow merges may interleave differently: compared sorted)
same_records() {
	httpmon.sh -N -w 30 -t 8 "$1" 2>/dev/null | sort > "$BATS_TEST_TMPDIR/want"
	sort "$2" | diff -u "$BATS_TEST_TMPDIR/want" -
}

@test "short options bundle: -bNw30 -t8 is -b -N -w 30 -t 8" {
	three_parts
	run --separate-stderr httpmon.sh -bNw30 -t8 whole
	assert_success
	printf '%s\n' "$output" > got
	same_records whole got
	assert_line --partial "High traffic generated an alert - hits = 255"
}

@test "every long option takes --opt=value as well as --opt value" {
	local o v
	# each with a value its stage refuses: the message shows it arrived
	for o in threshold=ten window=0 time_window=0 time-window=0 interval=0 \
	    top=x format=bogus poll=0 hook-timeout=0 late=x sources=x \
	    replicas=9 source=; do
		v=${o#*=} o=${o%%=*}
		run -64 httpmon.sh -N "--$o=$v" /dev/null
		local eq=$output
		run -64 httpmon.sh -N "--$o" "$v" /dev/null
		assert_equal "$eq" "$output"
		refute_output --partial "unknown option"
	done
	run -64 httpmon.sh --ship=nats://a:1 --collect=nats://b:2
	assert_output "httpmon.sh: --ship and --collect: one or the other"
	run -74 httpmon.sh -N --metrics="$BATS_TEST_TMPDIR/none/m.prom" /dev/null
	assert_output "httpmon.sh: $BATS_TEST_TMPDIR/none/m.prom: No such file or directory"
	run -64 httpmon.sh -N --state="$BATS_TEST_TMPDIR/st" --on-alert=true -
	assert_output "httpmon.sh: --state: not with standard input"
	loggen -f clf -r 4:10 > "$BATS_TEST_TMPDIR/a.log"
	run --separate-stderr httpmon.sh -N --state="$BATS_TEST_TMPDIR/st" \
	    --on-alert="true" --format=clf --top=1 "$BATS_TEST_TMPDIR/a.log"
	assert_success
	assert_line --partial "total 40 hits"
	[ -s "$BATS_TEST_TMPDIR/st" ]
	run -64 httpmon.sh --plain=yes /dev/null
	assert_output "httpmon.sh: option --plain takes no value (see httpmon.sh -h)"
	run -64 httpmon.sh -bx /dev/null
	assert_output --partial "unknown option -x"
}

@test "validation creates nothing: no --metrics file, no folder, when an option is bad" {
	local tmp=$BATS_TEST_TMPDIR/tmp m=$BATS_TEST_TMPDIR/m.prom
	mkdir "$tmp"
	loggen -f clf -r 4:10 > "$BATS_TEST_TMPDIR/a.log"
	run -64 env TMPDIR="$tmp" httpmon.sh -N --metrics "$m" -t ten "$BATS_TEST_TMPDIR/a.log"
	run -64 env TMPDIR="$tmp" httpmon.sh -N --metrics "$m" --replicas 9 "$BATS_TEST_TMPDIR/a.log"
	run -66 env TMPDIR="$tmp" httpmon.sh -N --metrics "$m" "$BATS_TEST_TMPDIR/missing.log"
	[ ! -e "$m" ]
	run ls -A "$tmp"
	assert_output ""
	# and a good run does write it
	run --separate-stderr env TMPDIR="$tmp" httpmon.sh -N --metrics "$m" "$BATS_TEST_TMPDIR/a.log"
	assert_success
	[ -s "$m" ]
}

@test "--state in a folder that does not exist: refused at the start (74), nothing created" {
	local tmp=$BATS_TEST_TMPDIR/tmp st=$BATS_TEST_TMPDIR/none/st
	mkdir "$tmp"
	loggen -f clf -r 4:10 > "$BATS_TEST_TMPDIR/a.log"
	run -74 env TMPDIR="$tmp" httpmon.sh -N -s "$st" "$BATS_TEST_TMPDIR/a.log"
	assert_output "httpmon.sh: $st: No such file or directory"
	run -74 env TMPDIR="$tmp" httpmon.sh -N -s "$BATS_TEST_TMPDIR" "$BATS_TEST_TMPDIR/a.log"
	assert_output "httpmon.sh: $BATS_TEST_TMPDIR: Is a directory"
	[ ! -e "$BATS_TEST_TMPDIR/none" ]
	run ls -A "$tmp"
	assert_output ""
}

@test "a FIFO as the log: the run ends at once, saying so, leaving nothing" {
	local log=$BATS_TEST_TMPDIR/a.log tmp=$BATS_TEST_TMPDIR/tmp
	mkdir "$tmp"
	mkfifo "$log"
	run to_files env TMPDIR="$tmp" timeout -k 2 30 httpmon.sh --plain "$log"
	assert_failure 1
	grep -qF "logtail: $log: a FIFO, not a regular file: refused" \
	    "$BATS_TEST_TMPDIR/err"
	grep -qF "logtail failed (exit status 66)" "$BATS_TEST_TMPDIR/err"
	run pgrep -f -- "$BATS_TEST_TMPDIR/"
	assert_failure
	run ls -A "$tmp"
	assert_output ""
}

# default_log SETUP ARGS... -- httpmon.sh ARGS on its default log,
# /tmp/access.log, in a mount namespace of its own with a fresh /tmp
# where SETUP (sh) made the log; its status, and its messages in $stderr
# (through a file: see to_files).  The programs are bound under /mnt
# first: the checkout itself may live in /tmp, which the fresh one hides.
default_log() {
	local setup=$1
	shift
	run to_files timeout -k 2 30 unshare -m sh -c '
	    set -e
	    mount -t tmpfs none /mnt
	    mkdir /mnt/bin /mnt/root
	    mount --bind "$BIN" /mnt/bin
	    mount --bind "$ROOT/bin" /mnt/root
	    mount -t tmpfs none /tmp
	    PATH=/mnt/bin:/mnt/root:$PATH
	    cd /tmp
	    eval "$1"
	    shift
	    exec httpmon.sh "$@" < /dev/null' sh "$setup" "$@"
	stderr=$(cat "$BATS_TEST_TMPDIR/err")
}

@test "the default log planted by another user, a file or a link: a warning" {
	local nobody
	nobody=$(id -nu 65534)
	default_log 'loggen -f clf -r 1:2 > access.log; chown 65534 access.log' -N
	assert_success
	[[ $stderr == *"httpmon.sh: warning: /tmp/access.log belongs to $nobody, not to you or root"* ]]
	default_log 'ln -s /dev/null access.log; chown -h 65534 access.log' -N
	assert_success
	[[ $stderr == *"httpmon.sh: warning: /tmp/access.log belongs to $nobody, not to you or root"* ]]
}

@test "the default log a FIFO: a warning, then logtail refuses it" {
	default_log 'mkfifo access.log' --plain
	assert_failure 1
	[[ $stderr == *"httpmon.sh: warning: /tmp/access.log is fifo, not a regular file"* ]]
	[[ $stderr == *"logtail: /tmp/access.log: a FIFO, not a regular file: refused"* ]]
}

@test "the default log, a regular file of the user: no warning" {
	default_log 'loggen -f clf -r 1:2 > access.log' -N
	assert_success
	[[ $stderr != *warning* ]]
}

@test "replay of standard input (-): the same records as the file's" {
	three_parts
	run --separate-stderr httpmon.sh -N -w 30 -t 8 - < whole
	assert_success
	printf '%s\n' "$output" > got
	same_records whole got
	# and without -N: read as it comes, to its end, then exit
	run --separate-stderr httpmon.sh --plain -w 30 -t 8 - < whole
	assert_success
	printf '%s\n' "$output" > got
	same_records whole got
}

@test "live standard input: an alert while the writer is still writing, exit 0 at its end" {
	local fifo=$BATS_TEST_TMPDIR/in out=$BATS_TEST_TMPDIR/out
	mkfifo "$fifo"
	httpmon.sh --plain -w 5 -t 5 -i 5 - < "$fifo" > "$out" 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	local mon=$!
	exec 4> "$fifo"
	loggen -f clf -r 20:10 -s "$(date +%s)" >&4	# 200 hits over 10 s of log time
	# the pipe is still open: the alert came from records as they came
	wait_for grep -q '^High traffic generated an alert' "$out"
	run kill -0 "$mon"
	assert_success
	exec 4>&-
	local st=0
	wait "$mon" || st=$?
	assert_equal "$st" 0
}

@test "live: several files followed together, the alert on their sum" {
	local a=$BATS_TEST_TMPDIR/a.log b=$BATS_TEST_TMPDIR/b.log out=$BATS_TEST_TMPDIR/out
	: > "$a"
	: > "$b"
	httpmon.sh -b -w 4 -t 10 -i 5 --plain "$a" "$b" > "$out" 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	local mon=$!
	# 7 hits/s into each: over the threshold only together
	loggen -L -f clf -r 7:8 -o "$a" 3>&- &
	local ga=$!
	loggen -L -f clf -r 7:8 -o "$b" 3>&- &
	local gb=$!
	wait_for grep -q '^High traffic generated an alert' "$out"
	kill "$mon" "$ga" "$gb" 2>/dev/null || true
	wait "$mon" || true
	wait "$ga" || true
	wait "$gb" || true
	run cat "$BATS_TEST_TMPDIR/err"
	assert_output ""
}

@test "replay of rotated logs in order, the oldest compressed: the records of the whole" {
	three_parts
	gzip a
	run --separate-stderr httpmon.sh -N -w 30 -t 8 a.gz b c
	assert_success
	assert_equal "$stderr" ""
	printf '%s\n' "$output" > got
	same_records whole got
	# in another order the clock runs back: late records
	run --separate-stderr httpmon.sh -N -w 30 -t 8 c b a.gz
	[[ "$stderr" == *"late record"* ]]
}

@test "several inputs: a compressed log is only replayed, - is followed alone" {
	printf 'x\n' | gzip > "$BATS_TEST_TMPDIR/a.gz"
	run -64 httpmon.sh "$BATS_TEST_TMPDIR/a.gz"
	assert_output "httpmon.sh: $BATS_TEST_TMPDIR/a.gz: compressed: replay it (-N)"
	run -64 httpmon.sh - /dev/null
	assert_output "httpmon.sh: -: standard input is followed alone"
	run -64 httpmon.sh -N -s "$BATS_TEST_TMPDIR/st" "$BATS_TEST_TMPDIR/a.gz"
	assert_output "httpmon.sh: --state: not with compressed $BATS_TEST_TMPDIR/a.gz"
	run -66 httpmon.sh -N /dev/null "$BATS_TEST_TMPDIR/missing.log"
	assert_output "httpmon.sh: $BATS_TEST_TMPDIR/missing.log: no such file"
}
