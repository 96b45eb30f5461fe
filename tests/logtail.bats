#!/usr/bin/env bats
# logtail: follow files by name through growth, rotation, truncation,
# deletion; state, ticks, replay.  Files are really rotated while a
# background logtail follows them; every line must come out exactly once.

load test_helper

setup() {
	LOG=$BATS_TEST_TMPDIR/access.log
	OUT=$BATS_TEST_TMPDIR/out
	ERR=$BATS_TEST_TMPDIR/err
	STATE=$BATS_TEST_TMPDIR/state
	: > "$OUT"
	: > "$ERR"
	TAIL_PID=
	WRITER=
}

teardown() {
	[ -z "$WRITER" ] || kill "$WRITER" 2>/dev/null || true
	# a logtail left running by a failed test: it may be deaf to SIGTERM
	if [ -n "$TAIL_PID" ]; then
		kill -KILL "$TAIL_PID" 2>/dev/null || true
		wait "$TAIL_PID" 2>/dev/null || true
	fi
}

# start_tail ARGS... -- logtail in the background, appending to $OUT/$ERR
# (fd 3 closed: it is bats' own and would keep the test from ending).
start_tail() {
	logtail "$@" >>"$OUT" 2>>"$ERR" 3>&- &
	TAIL_PID=$!
}

# stop_tail -- SIGTERM; logtail must exit 0
stop_tail() {
	local rc=0
	kill -TERM "$TAIL_PID"
	wait "$TAIL_PID" || rc=$?
	TAIL_PID=
	[ "$rc" -eq 0 ] || { echo "logtail exited $rc" >&2; return 1; }
}

# has_lines N [FILE] -- FILE ($OUT) holds at least N lines
has_lines() {
	[ "$(wc -l < "${2:-$OUT}")" -ge "$1" ]
}

# said N TEXT -- logtail's stderr holds TEXT at least N times
said() {
	[ "$(grep -c -- "$2" "$ERR")" -ge "$1" ]
}

# at_end FILE -- logtail has FILE open and has read it to its end
at_end() {
	local fd size pos
	size=$(stat -c %s "$1")
	for fd in /proc/"$TAIL_PID"/fd/*; do
		[ "$(readlink "$fd")" = "$1" ] || continue
		pos=$(awk '$1 == "pos:" { print $2 }' \
		    /proc/"$TAIL_PID"/fdinfo/"${fd##*/}")
		[ "$pos" -eq "$size" ] && return 0
	done
	return 1
}

# same_lines EXPECTED_CMD -- $OUT equals the output of a command, exactly
same_lines() {
	local want got
	want=$("$@" | sha256sum)
	got=$(sha256sum < "$OUT")
	[ "$want" = "$got" ] || {
		echo "output differs: $(wc -l < "$OUT") lines," \
		    "$(sort "$OUT" | uniq -d | wc -l) repeated" >&2
		return 1
	}
}

# write MODE N EVERY -- run the fixture writer on $LOG (see its header);
# sets n to the number of lines it wrote
write() {
	n=$("$FIXTURES/logtail/writer" "$1" "$LOG" "$2" "$3" "$OUT" "$ERR")
}

# rename_run ARGS... -- 100,000 numbered lines, the log renamed and a
# new one created every 10,000 lines, the writer going on for 5 lines
# in the renamed file before it reopens: every line once, in order.
rename_run() {
	: > "$LOG"
	start_tail -b "$@" "$LOG"
	write rename 100000 10000
	wait_for has_lines "$n"
	[ "$(sort -n "$OUT" | uniq -d | wc -l)" -eq 0 ]
	sort -n "$OUT" > "$BATS_TEST_TMPDIR/sorted"
	seq 1 "$n" | cmp - "$BATS_TEST_TMPDIR/sorted"
	# In order, except that the last lines of a renamed file may come a
	# little after the first lines of the new one (lines interleave).
	run awk 'NR > 1 && $1 < prev - 10 { bad++ } { prev = $1 }
	    END { print bad + 0 }' "$OUT"
	assert_output 0
}

@test "-h prints the usage and exits 0" {
	run logtail -h
	assert_success
	assert_output --partial "usage: logtail"
}

@test "no file is a usage error (64)" {
	run logtail
	assert_failure 64
}

@test "a bad --poll is a usage error (64)" {
	run logtail -p abc "$LOG"
	assert_failure 64
}

@test "-V prints the version" {
	run logtail -V
	assert_success
	assert_output --regexp '^logtail [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "--no-follow replays the file from the start and ends the last line" {
	printf 'one\ntwo\nthree' > "$LOG"
	run logtail --no-follow "$LOG"
	assert_success
	assert_output "$(printf 'one\ntwo\nthree')"
	[ "$(logtail -N "$LOG" | tail -c 1 | od -An -c | tr -d ' ')" = '\n' ]
}

@test "--no-follow on a missing file exits 66 and names it" {
	printf 'x\n' > "$LOG"
	run --separate-stderr logtail -N "$LOG" "$LOG.missing"
	assert_failure 66
	assert_output x
	[[ $stderr == *"$LOG.missing"* ]]
}

@test "following starts at the end: old lines are not written, new ones are" {
	seq 1 100 > "$LOG"
	start_tail "$LOG"
	wait_for at_end "$LOG"
	seq 101 110 >> "$LOG"
	wait_for has_lines 10
	stop_tail
	same_lines seq 101 110
}

@test "--from-start writes the existing lines, then the new ones" {
	seq 1 100 > "$LOG"
	start_tail --from-start "$LOG"
	wait_for has_lines 100
	seq 101 200 >> "$LOG"
	wait_for has_lines 200
	stop_tail
	same_lines seq 1 200
}

@test "a partial line is held until its newline, then written once" {
	: > "$LOG"
	start_tail "$LOG"
	wait_for at_end "$LOG"
	printf 'first\nsec' >> "$LOG"
	wait_for has_lines 1
	wait_for at_end "$LOG"
	[ "$(cat "$OUT")" = first ]
	printf 'ond\nthird\n' >> "$LOG"
	wait_for has_lines 3
	stop_tail
	same_lines printf 'first\nsecond\nthird\n'
}

@test "rename rotation: 100,000 lines, renamed every 10,000, each line once" {
	rename_run
	run cat "$ERR"
	refute_output --partial truncated
}

@test "rename rotation with polling (-p 0.2): each line once" {
	rename_run -p 0.2
}

@test "a partial line left in a rotated file is written once, ended" {
	: > "$LOG"
	start_tail -g 0.5 "$LOG"
	wait_for at_end "$LOG"
	printf 'a\nhalf' >> "$LOG"
	mv "$LOG" "$LOG.1"
	printf 'b\n' > "$LOG"
	wait_for has_lines 3
	stop_tail
	# The partial line comes out when the renamed file is let go.
	run sort "$OUT"
	assert_output "$(printf 'a\nb\nhalf')"
}

@test "copytruncate: 100,000 lines, copied and truncated every 10,000" {
	: > "$LOG"
	start_tail -b "$LOG"
	# The writer pauses around each copy and truncation, so that no line
	# falls in the loss window the man page describes: exact equality.
	write copytruncate 100000 10000
	wait_for has_lines 100000
	stop_tail
	same_lines seq 1 100000
}

@test "a deleted file is waited for and read from the start when re-created" {
	seq 1 3 > "$LOG"
	start_tail -b "$LOG"
	wait_for has_lines 3
	rm "$LOG"
	wait_for said 1 "$LOG: waiting for it to appear"
	seq 4 6 > "$LOG"
	wait_for has_lines 6
	stop_tail
	same_lines seq 1 6
}

@test "a file missing at the start is waited for, then read from its start" {
	start_tail "$LOG"
	wait_for said 1 "logtail: $LOG: waiting for it to appear"
	seq 1 5 > "$LOG"
	wait_for has_lines 5
	seq 6 7 >> "$LOG"
	wait_for has_lines 7
	stop_tail
	same_lines seq 1 7
}

@test "a file in a directory that does not exist yet is waited for" {
	local dir=$BATS_TEST_TMPDIR/later
	start_tail "$dir/access.log"
	wait_for said 1 "waiting for it to appear"
	mkdir "$dir"
	seq 1 5 > "$dir/access.log"
	wait_for has_lines 5
	stop_tail
	same_lines seq 1 5
}

@test "--state: a restart resumes exactly, a partial line included" {
	seq 1 500 > "$LOG"
	start_tail -b --state "$STATE" "$LOG"
	wait_for has_lines 500
	printf '501' >> "$LOG"
	wait_for at_end "$LOG"
	stop_tail
	grep -q "^$LOG	" "$STATE"
	printf '\n' >> "$LOG"
	seq 502 800 >> "$LOG"
	start_tail --state "$STATE" "$LOG"
	wait_for has_lines 800
	seq 801 900 >> "$LOG"
	wait_for has_lines 900
	stop_tail
	same_lines seq 1 900
}

@test "--state: restarts in the middle of a running stream lose nothing" {
	local n=30000
	: > "$LOG"
	start_tail -b --state "$STATE" "$LOG"
	write pace "$n" 500 3>&- &
	local writer=$!
	wait_for has_lines 5000
	stop_tail
	start_tail --state "$STATE" "$LOG"
	wait_for has_lines 15000
	stop_tail
	start_tail --state "$STATE" "$LOG"
	wait "$writer"
	wait_for has_lines "$n"
	stop_tail
	same_lines seq 1 "$n"
}

@test "--state: a rotation while stopped reads the rotated file's rest first" {
	seq 1 100 > "$LOG"
	start_tail -b --state "$STATE" "$LOG"
	wait_for has_lines 100
	stop_tail
	seq 101 150 >> "$LOG"
	mv "$LOG" "$LOG-20261125"
	seq 151 200 > "$LOG"
	start_tail --state "$STATE" "$LOG"
	wait_for has_lines 200
	seq 201 210 >> "$LOG"
	wait_for has_lines 210
	stop_tail
	same_lines seq 1 210
}

@test "--state: a rotated file that is gone means the new one from its start" {
	seq 1 10 > "$LOG"
	start_tail -b --state "$STATE" "$LOG"
	wait_for has_lines 10
	stop_tail
	rm "$LOG"
	seq 11 20 > "$LOG"
	start_tail --state "$STATE" "$LOG"
	wait_for has_lines 20
	stop_tail
	same_lines seq 1 20
}

@test "several files: each followed, lines interleaved whole" {
	local pad
	pad=$(printf '%0500d' 0)
	: > "$LOG.a"
	: > "$LOG.b"
	start_tail "$LOG.a" "$LOG.b"
	wait_for at_end "$LOG.a"
	wait_for at_end "$LOG.b"
	(for ((i = 1; i <= 3000; i++)); do echo "a $i $pad"; done >> "$LOG.a") 3>&- &
	local wa=$!
	(for ((i = 1; i <= 3000; i++)); do echo "b $i $pad"; done >> "$LOG.b") 3>&- &
	wait $wa $!
	wait_for has_lines 6000
	stop_tail
	run awk -v pad="$pad" '
	    NF != 3 || $3 != pad || ($1 != "a" && $1 != "b") { bad++; next }
	    $2 != ++n[$1] { bad++ }
	    END { print bad + 0, n["a"], n["b"] }' "$OUT"
	assert_output "0 3000 3000"
}

@test "--ticks: an idle follower writes marked ticks each second, 20 s behind the clock" {
	: > "$LOG"
	start_tail -T "$LOG"
	wait_for has_lines 2
	stop_tail
	# the clock was read between the tick and now: now - 20 - a loaded
	# machine's delay <= tick <= now - 20
	run awk -v now="$(date +%s)" '
	    $0 !~ /^\036tick\t[0-9]+$/ || $2 < now - 80 || $2 > now - 20 { bad++ }
	    END { print bad + 0 }' "$OUT"
	assert_output 0
}

@test "--allowance: ticks that far behind the clock; a line starting with the mark has it doubled" {
	: > "$LOG"
	start_tail -T -a 0 -b "$LOG"
	printf '\036tick\t1\nplain\n\036\036x\n' >> "$LOG"
	wait_for grep -q $'^\036tick' "$OUT"
	stop_tail
	run awk -v now="$(date +%s)" '
	    /^\036tick\t/ { if ($2 < now - 60 || $2 > now) bad++; next }
	    { print }
	    END { print bad + 0 }' "$OUT"
	assert_output "$(printf '\036\036tick\t1\nplain\n\036\036\036x\n0')"
}

@test "--ticks: no tick before a replayed file has been read to its end" {
	seq 1 200000 > "$LOG"
	start_tail -T -b "$LOG"
	wait_for grep -q $'^\036tick' "$OUT"
	stop_tail
	run awk '/^\036tick/ { if (!first) first = NR } END { print first }' "$OUT"
	assert_output 200001
	head -n 200000 "$OUT" | cmp - <(seq 1 200000)
}

@test "--no-follow never writes ticks" {
	seq 1 3 > "$LOG"
	run logtail -N -T "$LOG"
	assert_success
	assert_output "$(seq 1 3)"
}

@test "SIGINT stops cleanly with status 0 and the lines written" {
	seq 1 3 > "$LOG"
	start_tail -b "$LOG"
	wait_for has_lines 3
	local rc=0
	kill -INT "$TAIL_PID"
	wait "$TAIL_PID" || rc=$?
	TAIL_PID=
	[ "$rc" -eq 0 ]
	same_lines seq 1 3
}

@test "a line longer than 1 MiB is written cut, with a warning" {
	: > "$LOG"
	start_tail "$LOG"
	wait_for at_end "$LOG"
	{ head -c 1500000 /dev/zero | tr '\0' x; printf '\nok\n'; } >> "$LOG"
	wait_for has_lines 2
	stop_tail
	run awk '{ print length($0) }' "$OUT"
	assert_output "$(printf '1048576\n2')"
	[ "$(tail -n 1 "$OUT")" = ok ]
	grep -q "$LOG: line longer than 1048576 bytes, cut" "$ERR"
}

@test "a directory named as the file is reported, not read" {
	mkdir "$LOG"
	run --separate-stderr logtail -N "$LOG"
	assert_failure 66
	[[ $stderr == *"$LOG: Is a directory"* ]]
}

# has_open FILE -- logtail ($TAIL_PID) holds FILE open
has_open() {
	local fd
	for fd in /proc/"$TAIL_PID"/fd/*; do
		[ "$(readlink "$fd")" = "$1" ] && return 0
	done
	return 1
}

@test "a FIFO followed by name is refused at once (66), not waited on" {
	mkfifo "$LOG"
	run --separate-stderr timeout -k 1 10 logtail "$LOG"
	assert_failure 66
	[[ $stderr == *"$LOG: a FIFO, not a regular file: refused"* ]]
}

@test "a device followed by name is refused (66)" {
	run --separate-stderr timeout -k 1 10 logtail -b /dev/zero
	assert_failure 66
	[[ $stderr == *"/dev/zero: a device, not a regular file: refused"* ]]
}

@test "a FIFO as the --state file is refused (66), not waited on" {
	seq 1 3 > "$LOG"
	mkfifo "$STATE"
	run --separate-stderr timeout -k 1 10 logtail -N -s "$STATE" "$LOG"
	assert_failure 66
	[[ $stderr == *"$STATE: a FIFO, not a regular file: refused"* ]]
}

@test "a FIFO becoming the name while following: said, waited out" {
	seq 1 3 > "$LOG"
	start_tail -b "$LOG"
	wait_for has_lines 3
	rm "$LOG"
	mkfifo "$LOG"
	wait_for said 1 "$LOG: a FIFO, not a regular file: refused"
	rm "$LOG"
	seq 4 5 > "$LOG"
	wait_for has_lines 5
	stop_tail
	same_lines seq 1 5
}

@test "--no-follow reads a pipe: process substitution and a FIFO" {
	run logtail -N <(seq 1 3)
	assert_success
	assert_output "$(seq 1 3)"
	mkfifo "$LOG"
	seq 4 6 > "$LOG" &
	run logtail -N "$LOG"
	assert_success
	assert_output "$(seq 4 6)"
}

@test "--no-follow: SIGTERM ends a read waiting on a silent pipe" {
	mkfifo "$LOG"
	sleep 600 > "$LOG" 3>&- &
	WRITER=$!
	start_tail -N "$LOG"
	wait_for has_open "$LOG"
	kill -TERM "$TAIL_PID"
	wait_for gone "$TAIL_PID"
	local rc=0
	wait "$TAIL_PID" || rc=$?
	TAIL_PID=
	[ "$rc" -eq 0 ]
}

@test "--no-follow --state: each run writes only the lines added since" {
	seq 1 10 > "$LOG"
	printf '11' >> "$LOG"
	run logtail -N -s "$STATE" "$LOG"
	assert_success
	assert_output "$(seq 1 10)"
	printf '\n' >> "$LOG"
	seq 12 20 >> "$LOG"
	run logtail -N -s "$STATE" "$LOG"
	assert_success
	assert_output "$(seq 11 20)"
}

@test "--state is saved while following, so a crash repeats no old line" {
	seq 1 100 > "$LOG"
	start_tail -b -s "$STATE" "$LOG"
	wait_for has_lines 100
	# Saved within a few seconds, with no signal (wait_for allows 20 s).
	wait_for grep -q "	$(stat -c %s "$LOG")	" "$STATE"
	kill -KILL "$TAIL_PID"
	wait "$TAIL_PID" || true
	TAIL_PID=
	seq 101 110 >> "$LOG"
	start_tail -s "$STATE" "$LOG"
	wait_for has_lines 110
	stop_tail
	same_lines seq 1 110
}
