#!/usr/bin/env bats
# logtee: standard input to standard output and files, byte for byte.

load test_helper

@test "input is copied byte for byte to stdout and every file, no final newline kept as is" {
	printf 'a\tb\n\001\377 no newline' > "$BATS_TEST_TMPDIR/in"
	run -0 sh -c "logtee '$BATS_TEST_TMPDIR/o1' '$BATS_TEST_TMPDIR/o2' \
	    < '$BATS_TEST_TMPDIR/in' > '$BATS_TEST_TMPDIR/o0'"
	cmp "$BATS_TEST_TMPDIR/in" "$BATS_TEST_TMPDIR/o0"
	cmp "$BATS_TEST_TMPDIR/in" "$BATS_TEST_TMPDIR/o1"
	cmp "$BATS_TEST_TMPDIR/in" "$BATS_TEST_TMPDIR/o2"
}

@test "a stream larger than a block, through pipes in small chunks, arrives whole" {
	local in="$BATS_TEST_TMPDIR/in"
	loggen -f combined -n 5000 -S 9 | logparse > "$in"
	[ "$(wc -c < "$in")" -gt 262144 ]
	run -0 bash -c "slow_pipe '$in' | logtee '$BATS_TEST_TMPDIR/o1' | cat > '$BATS_TEST_TMPDIR/o0'"
	cmp "$in" "$BATS_TEST_TMPDIR/o0"
	cmp "$in" "$BATS_TEST_TMPDIR/o1"
}

@test "a FIFO reader gets the same stream as standard output" {
	local in="$BATS_TEST_TMPDIR/in" f="$BATS_TEST_TMPDIR/fifo"
	loggen -f combined -n 3000 -S 10 | logparse > "$in"
	mkfifo "$f"
	cat "$f" > "$BATS_TEST_TMPDIR/o1" &
	run -0 sh -c "logtee '$f' < '$in' > '$BATS_TEST_TMPDIR/o0'"
	wait
	cmp "$in" "$BATS_TEST_TMPDIR/o0"
	cmp "$in" "$BATS_TEST_TMPDIR/o1"
}

@test "a record is passed on while the input is idle, not held back" {
	local f="$BATS_TEST_TMPDIR/fifo"
	mkfifo "$f"
	logtee < "$f" > "$BATS_TEST_TMPDIR/out" &
	local pid=$!
	exec 8> "$f"
	printf 'tick\t100\n' >&8
	wait_for grep -q 'tick' "$BATS_TEST_TMPDIR/out"
	exec 8>&-
	wait "$pid"
}

@test "a file that cannot be opened exits 74 naming it" {
	run -74 --separate-stderr logtee "$BATS_TEST_TMPDIR/no/such/dir" < /dev/null
	[ "$stderr" = "logtee: $BATS_TEST_TMPDIR/no/such/dir: No such file or directory" ]
}

@test "-h prints the usage, -V the version; a bad option exits 64" {
	run -0 logtee -h
	assert_output 'usage: logtee [-hV] [-m kib] [-s file] [file ...]'
	run -0 logtee --version
	assert_output "logtee $(cat "$ROOT/VERSION")"
	run -64 --separate-stderr logtee -x
}

@test "a -s branch whose reader does not read holds up neither standard output nor the input" {
	local in="$BATS_TEST_TMPDIR/in" f="$BATS_TEST_TMPDIR/fifo" size
	loggen -f combined -n 20000 -S 11 | logparse > "$in"
	size=$(wc -c < "$in")
	[ "$size" -gt 2000000 ]
	mkfifo "$f"
	# the branch's reader opens it, reads nothing until stdout has it all
	bash -c 'exec 3< "$1"; for i in $(seq 1 1200); do
	    [ "$(wc -c < "$2" 2>/dev/null)" = "$3" ] && break; sleep 0.05; done
	    cat <&3 > "$2.branch"' _ "$f" \
	    "$BATS_TEST_TMPDIR/o0" "$size" &
	mkdir "$BATS_TEST_TMPDIR/spill"
	# 64 KiB in memory: the rest waits in a spill file, removed at once
	timeout 60 env TMPDIR="$BATS_TEST_TMPDIR/spill" \
	    logtee -m 64 -s "$f" < "$in" > "$BATS_TEST_TMPDIR/o0"
	wait
	cmp "$in" "$BATS_TEST_TMPDIR/o0"
	cmp "$in" "$BATS_TEST_TMPDIR/o0.branch"
	run ls -A "$BATS_TEST_TMPDIR/spill"
	assert_output ""
}
