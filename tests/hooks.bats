#!/usr/bin/env bats
# Alert hooks and syslog: logalert --on-alert, --hook-timeout, --syslog,
# the same through httpmon.sh, and the example hooks in scripts/.

load test_helper

ALERT_REC=$'alert\t101\t3\t1.50\t1\tHigh traffic generated an alert - hits = 3, triggered at 1970-01-01T00:01:41Z\thits'
RECOVER_REC=$'recover\t103\t0\t0.00\t1\tTraffic recovered - hits = 0, recovered at 1970-01-01T00:01:43Z\thits'

setup() {
	T=$BATS_TEST_TMPDIR
	# A hook that writes what it was given to $T/got.KIND, atomically.
	cat > "$T/record-hook" <<'HOOK'
#!/bin/sh
{ env | grep -E '^HTTPMON_(KIND|TIME|HITS|AVG|THRESHOLD|WINDOW|MESSAGE|RULE)=' | sort; echo "stdin: $(cat)"; } > "$HOOKDIR/.tmp.$$"
mv "$HOOKDIR/.tmp.$$" "$HOOKDIR/got.$HTTPMON_KIND"
HOOK
	chmod +x "$T/record-hook"
	export HOOKDIR=$T
}

# expected KIND -- what record-hook writes for the fixture's KIND event
expected() {
	if [ "$1" = alert ]; then
		printf '%s\n' HTTPMON_AVG=1.50 HTTPMON_HITS=3 HTTPMON_KIND=alert \
		    'HTTPMON_MESSAGE=High traffic generated an alert - hits = 3, triggered at 1970-01-01T00:01:41Z' \
		    HTTPMON_RULE=hits HTTPMON_THRESHOLD=1 HTTPMON_TIME=101 HTTPMON_WINDOW=2 \
		    "stdin: $ALERT_REC"
	else
		printf '%s\n' HTTPMON_AVG=0.00 HTTPMON_HITS=0 HTTPMON_KIND=recover \
		    'HTTPMON_MESSAGE=Traffic recovered - hits = 0, recovered at 1970-01-01T00:01:43Z' \
		    HTTPMON_RULE=hits HTTPMON_THRESHOLD=1 HTTPMON_TIME=103 HTTPMON_WINDOW=2 \
		    "stdin: $RECOVER_REC"
	fi
}

@test "a hook gets the event in its environment and the record on stdin, for an alert and a recovery" {
	run --separate-stderr logalert -w 2 -t 1 --replay-hooks --on-alert "$T/record-hook" \
	    "$FIXTURES/hooks/burst.in"
	assert_success
	assert_output "#httpmon-records 1
$ALERT_REC
$RECOVER_REC"
	wait_for test -f "$T/got.alert"
	wait_for test -f "$T/got.recover"
	assert_equal "$(cat "$T/got.alert")" "$(expected alert)"
	assert_equal "$(cat "$T/got.recover")" "$(expected recover)"
}

@test "logalert passes on a fleet alert and recovery it reads, and runs the hook for them" {
	local a r
	a=$'alert\t500\t0\t0\t0\tServer web3 stopped sending - last data at 1970-01-01T00:08:00Z\tsilent:web3'
	r=$'recover\t530\t0\t0\t0\tServer web3 is sending again - data at 1970-01-01T00:08:50Z\tsilent:web3'
	printf '%s\n' "$a" $'tick\t520' "$r" > "$T/in"
	run --separate-stderr logalert -w 2 -t 1 --replay-hooks --on-alert "$T/record-hook" "$T/in"
	assert_success
	assert_output "#httpmon-records 1
$a
$r"
	wait_for test -f "$T/got.alert"
	wait_for test -f "$T/got.recover"
	assert_equal "$(cat "$T/got.alert")" "$(printf '%s\n' HTTPMON_AVG=0 HTTPMON_HITS=0 \
	    HTTPMON_KIND=alert \
	    'HTTPMON_MESSAGE=Server web3 stopped sending - last data at 1970-01-01T00:08:00Z' \
	    HTTPMON_RULE=silent:web3 HTTPMON_THRESHOLD=0 HTTPMON_TIME=500 \
	    HTTPMON_WINDOW=2 "stdin: $a")"
	run grep -c 'HTTPMON_RULE=silent:web3' "$T/got.recover"
	assert_output 1
}

@test "a hook's output goes to stderr, never into the records" {
	logalert -w 2 -t 1 --replay-hooks --on-alert 'echo out-$HTTPMON_KIND; echo err >&2' \
	    "$FIXTURES/hooks/burst.in" > "$T/out" 2> "$T/err"
	assert_equal "$(cat "$T/out")" "#httpmon-records 1
$ALERT_REC
$RECOVER_REC"
	wait_for grep -q out-recover "$T/err"
	wait_for grep -q out-alert "$T/err"
}

@test "a failing hook is reported on stderr with its exit status" {
	logalert -w 2 -t 1 --replay-hooks --on-alert 'exit 3' "$FIXTURES/hooks/burst.in" \
	    > "$T/out" 2> "$T/err"
	wait_for grep -q 'recover at 103: exit status 3' "$T/err"
	wait_for grep -q 'alert at 101: exit status 3' "$T/err"
	assert_equal "$(grep -c '' "$T/out")" 3
}

@test "a hook still running at its time limit is killed with its children, and reported" {
	logalert -w 2 -t 1 --replay-hooks --hook-timeout 1 \
	    --on-alert 'sleep 1000 & echo $! > "$HOOKDIR/pid.$HTTPMON_KIND"; wait' \
	    "$FIXTURES/hooks/burst.in" > "$T/out" 2> "$T/err"
	wait_for test -s "$T/pid.alert"
	wait_for grep -q 'alert at 101: still running after 1 s, killed' "$T/err"
	wait_for grep -q 'recover at 103: still running after 1 s, killed' "$T/err"
	wait_for gone "$(cat "$T/pid.alert")"
	wait_for gone "$(cat "$T/pid.recover")"
}

# live_alerter HOOK TIMEOUT -- logalert reading the FIFO $T/in on fd 8
live_alerter() {
	mkfifo "$T/in"
	logalert -w 2 -t 1 --replay-hooks --hook-timeout "$2" --on-alert "$1" < "$T/in" \
	    > "$T/out" 2> "$T/err" &
	ALERTER=$!
	exec 8> "$T/in"
}

@test "a hook that never ends does not delay the next record" {
	# Time limit 600 s: a logalert that waited for the hook would not
	# write the recovery within wait_for's 20 s.
	live_alerter 'echo $$ > "$HOOKDIR/hook.$HTTPMON_KIND"; exec sleep 1000' 600
	head -n 4 "$FIXTURES/hooks/burst.in" >&8
	wait_for grep -q '^alert' "$T/out"
	wait_for test -s "$T/hook.alert"
	printf 'tick\t110\n' >&8
	wait_for grep -q '^recover' "$T/out"
	exec 8>&-
	wait "$ALERTER"
	# the alert's hook is still running, detached, the recovery's waits
	# for it (one hook at a time): end the one, then the other
	kill -0 "$(cat "$T/hook.alert")"
	[ ! -e "$T/hook.recover" ]
	kill "$(cat "$T/hook.alert")"
	wait_for test -s "$T/hook.recover"
	kill "$(cat "$T/hook.recover")"
}

@test "a failing hook does not delay the next record either" {
	live_alerter 'exit 1' 600
	head -n 4 "$FIXTURES/hooks/burst.in" >&8
	wait_for grep -q '^alert' "$T/out"
	printf 'tick\t110\n' >&8
	wait_for grep -q '^recover' "$T/out"
	exec 8>&-
	wait "$ALERTER"
	wait_for grep -q 'recover at 103: exit status 1' "$T/err"
}

@test "a running hook does not hold the record stream open" {
	# the pipe to cat must see its end when logalert exits, hook or not
	run timeout 60 sh -c 'logalert -w 2 -t 1 --replay-hooks --hook-timeout 600 \
	    --on-alert "echo \$\$ > \"\$HOOKDIR/hook.\$HTTPMON_KIND\"; exec sleep 1000" \
	    "$1" 2>/dev/null | cat' sh "$FIXTURES/hooks/burst.in"
	assert_success
	assert_line --index 1 "$ALERT_REC"
	wait_for test -s "$T/hook.alert"
	kill "$(cat "$T/hook.alert")"
	wait_for test -s "$T/hook.recover"
	kill "$(cat "$T/hook.recover")"
}

@test "--hook-timeout takes 1 to 86400 seconds" {
	run -64 logalert --hook-timeout 0 --on-alert true < /dev/null
	assert_output 'logalert: --hook-timeout 0: too small (allowed 1 to 86400)'
	run -64 logalert --on-alert
	assert_line --partial 'requires an argument'
}

@test "httpmon.sh --on-alert passes the hook to logalert" {
	# a log of the last minutes: its events are recent, their hooks run
	loggen -f clf -r 2:30,12:30,1:60 -s $(( $(date +%s) - 120 )) > "$T/access.log"
	run --separate-stderr httpmon.sh -N -w 10 -t 5 -i 60 \
	    --on-alert "$T/record-hook" --hook-timeout 5 "$T/access.log"
	assert_success
	wait_for test -f "$T/got.alert"
	wait_for test -f "$T/got.recover"
	run grep -c '^HTTPMON_' "$T/got.alert"
	assert_output 8
	run grep '^HTTPMON_KIND=\|^HTTPMON_WINDOW=\|^HTTPMON_THRESHOLD=' "$T/got.recover"
	assert_output $'HTTPMON_KIND=recover\nHTTPMON_THRESHOLD=5\nHTTPMON_WINDOW=10'
}

@test "httpmon.sh replays an old log without paging, unless --replay-hooks" {
	loggen -f clf -r 2:30,12:30,1:60 > "$T/old.log"	# 2019: long past
	run --separate-stderr httpmon.sh -N -w 10 -t 5 -i 60 \
	    --on-alert "$T/record-hook" "$T/old.log"
	assert_success
	assert_output --partial 'High traffic generated an alert'
	[[ "$stderr" == "logalert: 2 alert and recovery events more than 600 s before the clock"* ]]
	[ ! -e "$T/got.alert" ]
	run --separate-stderr httpmon.sh -N -w 10 -t 5 -i 60 --replay-hooks \
	    --on-alert "$T/record-hook" "$T/old.log"
	assert_success
	wait_for test -f "$T/got.alert"
	wait_for test -f "$T/got.recover"
}

# need_python -- the stand-in servers are small Python programs
need_python() {
	command -v python3 >/dev/null 2>&1 || skip "no python3"
}

@test "--syslog sends the alert at warning and the recovery at notice, facility daemon" {
	need_python
	unshare -m true 2>/dev/null || skip "no mount namespace to put a /dev/log in"
	mkdir "$T/dev"
	touch "$T/dev/null"
	python3 "$FIXTURES/hooks/syslogd.py" "$T/dev/log" "$T/syslog" 2 &
	wait_for test -S "$T/dev/log"
	# /dev/log is our socket in a private mount namespace only
	run --separate-stderr unshare -m sh -c 'mount --bind /dev/null "$1/dev/null" &&
	    mount --bind "$1/dev" /dev && exec "$2" -w 2 -t 1 --replay-hooks --syslog "$3"' \
	    sh "$T" "$BIN/logalert" "$FIXTURES/hooks/burst.in"
	assert_success
	assert_line --index 1 "$ALERT_REC"
	wait_for test -f "$T/syslog"
	run cat "$T/syslog"
	assert_line --index 0 --regexp '^<28>[A-Z][a-z][a-z] [ 0-9]{2} [0-9:]{8} logalert\[[0-9]+\]: High traffic generated an alert - hits = 3, triggered at 1970-01-01T00:01:41Z$'
	assert_line --index 1 --regexp '^<29>.* logalert\[[0-9]+\]: Traffic recovered - hits = 0, recovered at 1970-01-01T00:01:43Z$'
}

@test "scripts/hook-syslog logs the message with logger" {
	need_python
	python3 "$FIXTURES/hooks/syslogd.py" "$T/log.sock" "$T/syslog" 2 &
	wait_for test -S "$T/log.sock"
	HTTPMON_LOGGER_ARGS="-u $T/log.sock" logalert -w 2 -t 1 --replay-hooks \
	    --on-alert "$ROOT/scripts/hook-syslog" "$FIXTURES/hooks/burst.in" \
	    > /dev/null 2> "$T/err"
	wait_for test -f "$T/syslog"
	run cat "$T/syslog"
	assert_line --regexp '^<28>.* httpmon: High traffic generated an alert - hits = 3, triggered at 1970-01-01T00:01:41Z \(avg 1.50/s over 2s, threshold 1\)$'
	assert_line --regexp '^<29>.* httpmon: Traffic recovered - hits = 0, recovered at 1970-01-01T00:01:43Z \(avg 0.00/s over 2s, threshold 1\)$'
	assert_equal "$(cat "$T/err")" ''
}

@test "scripts/hook-webhook posts the record as JSON, or the message as text" {
	need_python
	python3 "$FIXTURES/hooks/webhookd.py" "$T/port" "$T/posts" 2 200 &
	wait_for test -s "$T/port"
	HTTPMON_WEBHOOK_URL="http://127.0.0.1:$(cat "$T/port")/hook" \
	    logalert -w 2 -t 1 --replay-hooks --on-alert "$ROOT/scripts/hook-webhook" \
	    "$FIXTURES/hooks/burst.in" > /dev/null 2> "$T/err"
	wait_for sh -c '[ "$(grep -c "" "$1" 2>/dev/null)" = 2 ]' sh "$T/posts"
	run sort "$T/posts"
	assert_output '/hook application/json {"type":"alert","time":101,"hits":3,"avg":1.50,"threshold":1,"message":"High traffic generated an alert - hits = 3, triggered at 1970-01-01T00:01:41Z","rule":"hits"}
/hook application/json {"type":"recover","time":103,"hits":0,"avg":0.00,"threshold":1,"message":"Traffic recovered - hits = 0, recovered at 1970-01-01T00:01:43Z","rule":"hits"}'
	python3 "$FIXTURES/hooks/webhookd.py" "$T/port2" "$T/posts2" 1 200 &
	wait_for test -s "$T/port2"
	head -n 4 "$FIXTURES/hooks/burst.in" | HTTPMON_WEBHOOK_FORMAT=text \
	    HTTPMON_WEBHOOK_URL="http://127.0.0.1:$(cat "$T/port2")/slack" \
	    logalert -w 2 -t 1 --replay-hooks --on-alert "$ROOT/scripts/hook-webhook" > /dev/null
	wait_for test -s "$T/posts2"
	assert_equal "$(cat "$T/posts2")" '/slack application/json {"text":"High traffic generated an alert - hits = 3, triggered at 1970-01-01T00:01:41Z"}'
}

@test "scripts/hook-webhook fails, and logalert says so, when the webhook answers an error" {
	need_python
	python3 "$FIXTURES/hooks/webhookd.py" "$T/port" "$T/posts" 1 500 &
	wait_for test -s "$T/port"
	head -n 4 "$FIXTURES/hooks/burst.in" |
	    HTTPMON_WEBHOOK_URL="http://127.0.0.1:$(cat "$T/port")/" \
	    logalert -w 2 -t 1 --replay-hooks --on-alert "$ROOT/scripts/hook-webhook" \
	    > /dev/null 2> "$T/err"
	wait_for grep -q 'alert at 101: exit status 22' "$T/err"
	run grep -c 'The requested URL returned error: 500' "$T/err"
	assert_output 1
}

@test "httpmon.sh checks --hook-timeout before starting anything" {
	run -64 httpmon.sh -N --on-alert true --hook-timeout 0 "$FIXTURES/hooks/burst.in"
	assert_output 'httpmon.sh: --hook-timeout 0: too small (allowed 1 to 86400)'
}

# bursts N [BASE] -- N bursts of 3 hits, 10 s apart from BASE (default
# 100): with -w 2 -t 1, N alerts and N recoveries, in turn
bursts() {
	local i b
	for i in $(seq 0 $(($1 - 1))); do
		b=$((${2:-100} + 10 * i))
		printf 'hit\t%s\th\t-\tGET\t/\t/\t200\t0\t-\t-\n' $b $b $b
	done
	printf 'tick\t%s\n' $((${2:-100} + 10 * $1))
}

# a hook that logs its start and end, under a lock, to $HOOKDIR/log
overlap_hook() {
	cat > "$T/overlap-hook" <<'HOOK'
#!/bin/sh
exec 9>> "$HOOKDIR/lock"
flock 9; echo "start $HTTPMON_KIND $HTTPMON_TIME" >> "$HOOKDIR/log"; flock -u 9
sleep 0.2
flock 9; echo "end $HTTPMON_KIND $HTTPMON_TIME" >> "$HOOKDIR/log"; flock -u 9
HOOK
	chmod +x "$T/overlap-hook"
}

# lines FILE N -- FILE has N lines
lines() {
	[ "$(grep -c '' "$1" 2>/dev/null)" = "$2" ]
}

@test "a replay of many alerts runs one hook at a time, in the order of the events" {
	overlap_hook
	bursts 10 > "$T/in"
	run --separate-stderr logalert -w 2 -t 1 --replay-hooks \
	    --on-alert "$T/overlap-hook" "$T/in"
	assert_success
	grep -E '^(alert|recover)' <<< "$output" | cut -f 1,2 | tr '\t' ' ' > "$T/events"
	assert_equal "$(grep -c '' "$T/events")" 20
	wait_for lines "$T/log" 40
	# at most one hook running at any time
	run awk '$1 == "start" { n++; if (n > max) max = n }
	    $1 == "end" { n-- } END { print max }' "$T/log"
	assert_output 1
	# and they ran in the order of the events: alert before its recovery
	run sh -c 'grep ^start "$1" | cut -d " " -f 2-' sh "$T/log"
	assert_output "$(cat "$T/events")"
}

@test "hooks wait in a queue of 32; beyond it the oldest alert and its recovery are dropped, and counted" {
	cat > "$T/slow-hook" <<'HOOK'
#!/bin/sh
while [ ! -e "$HOOKDIR/go" ]; do sleep 0.05; done
echo "$HTTPMON_KIND $HTTPMON_TIME" >> "$HOOKDIR/log"
HOOK
	chmod +x "$T/slow-hook"
	bursts 50 > "$T/in"
	logalert -w 2 -t 1 --replay-hooks --hook-timeout 120 \
	    --on-alert "$T/slow-hook" "$T/in" > "$T/out" 2> "$T/err"
	# the first hook (alert 101) waits for go: the queue fills and
	# overflows; the recovery 103 stays, its alert being delivered
	wait_for grep -q 'on-alert: 32 events wait for the hook: dropping the alert at 111 and the recover at 113' "$T/err"
	touch "$T/go"
	wait_for grep -q 'events dropped, more than 32 waiting for the hook' "$T/err"
	local dropped
	dropped=$(sed -n 's/.*: \([0-9]*\) events dropped.*/\1/p' "$T/err")
	run grep -c '' "$T/log"
	assert_equal $((output + dropped)) 100
	[ "$output" -le 33 ]
	# what ran alternates, from the first alert to the last recovery
	run awk '{ if ($1 != ((NR % 2) ? "alert" : "recover") || $2 <= last)
	    print "out of turn: " $0; last = $2 }' "$T/log"
	assert_output ''
	assert_equal "$(head -n 1 "$T/log")" 'alert 101'
	assert_equal "$(tail -n 1 "$T/log")" 'recover 593'
}

@test "events more than 600 s old run no hook unless --replay-hooks; recent ones do" {
	local now
	now=$(date +%s)
	cat > "$T/log-hook" <<'HOOK'
#!/bin/sh
echo "$HTTPMON_KIND $HTTPMON_TIME" >> "$HOOKDIR/log"
HOOK
	chmod +x "$T/log-hook"
	{ bursts 1; bursts 1 $((now - 100)); } > "$T/in"
	run --separate-stderr logalert -w 2 -t 1 --on-alert "$T/log-hook" "$T/in"
	assert_success
	assert_equal "$(grep -c '^alert' <<< "$output")" 2
	assert_equal "$stderr" "logalert: 2 alert and recovery events more than 600 s before the clock: no hook or syslog for them (a replay; --replay-hooks to have them)"
	# hooks run in order: once the last has run, none of the old ran
	wait_for grep -q "recover $((now - 97))" "$T/log"
	assert_equal "$(cat "$T/log")" "alert $((now - 99))
recover $((now - 97))"
	rm "$T/log"
	run --separate-stderr logalert -w 2 -t 1 --replay-hooks \
	    --on-alert "$T/log-hook" "$T/in"
	assert_equal "$stderr" ''
	wait_for grep -q "recover $((now - 97))" "$T/log"
	assert_equal "$(cat "$T/log")" "alert 101
recover 103
alert $((now - 99))
recover $((now - 97))"
}

@test "the queue outlives logalert: a recovery queued when it is killed still reaches the hook" {
	cat > "$T/gate-hook" <<'HOOK'
#!/bin/sh
while [ ! -e "$HOOKDIR/go" ]; do sleep 0.05; done
echo "$HTTPMON_KIND $HTTPMON_TIME" >> "$HOOKDIR/log"
HOOK
	chmod +x "$T/gate-hook"
	mkfifo "$T/in"
	logalert -w 2 -t 1 --replay-hooks --hook-timeout 120 \
	    --on-alert "$T/gate-hook" < "$T/in" > "$T/out" 2> "$T/err" &
	ALERTER=$!
	exec 8> "$T/in"
	bursts 1 >&8
	wait_for grep -q '^recover' "$T/out"
	kill -KILL "$ALERTER"
	wait_for gone "$ALERTER"
	exec 8>&-
	touch "$T/go"
	wait_for lines "$T/log" 2
	assert_equal "$(cat "$T/log")" "alert 101
recover 103"
}
