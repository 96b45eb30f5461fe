#!/usr/bin/env bats
# logparse: access log lines to hit records.  Every expected time was
# computed with date -u -d, e.g. date -u -d '2000-10-10 13:55:36 -0700' +%s.

load test_helper

# same_as FILE -- $output is exactly the contents of fixtures/logparse/FILE
same_as() {
	diff -u "$FIXTURES/logparse/$1" <(printf '%s\n' "$output") >&2
}

@test "common log format lines become hit records" {
	fixture_test logparse logparse clf
	[ -z "$stderr" ]
}

@test "combined log format adds referer and agent, trailing fields ignored" {
	fixture_test logparse logparse combined
}

@test "CSV with header: quoted or bare fields, doubled quotes, header skipped" {
	fixture_test logparse logparse csv
	[ -z "$stderr" ]
}

@test "zone offsets convert to UTC across day, year and leap-day boundaries" {
	fixture_test logparse logparse timezones -a
}

@test "odd but valid lines are hits: IPv6, escapes, -, CONNECT, OPTIONS *, TLS garbage, absolute URIs" {
	fixture_test logparse logparse odd
	[ -z "$stderr" ]
}

@test "raw TAB and control bytes in a URL are escaped in the record" {
	run --separate-stderr sh -c "printf '1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] \"GET /a\tb\001c/d HTTP/1.1\" 200 1 \"-\" \"x\\\\\\\\y\"\n' | logparse"
	assert_success
	assert_output $'#httpmon-records 1\nhit\t971186136\t1.2.3.4\t-\tGET\t/a\\tb\\x01c/d\t/a\\tb\\x01c\t200\t1\t-\tx\\\\y'
	# The hit is one record of exactly 11 fields.
	[ "$(printf '%s\n' "$output" | awk -F'\t' 'NR == 2 { print NF }')" = 11 ]
}

@test "bad lines are bad records with their line numbers; good lines around them all pass" {
	fixture_test logparse logparse bad
}

@test "bad lines are warned on stderr with file, line and reason, then counted" {
	run --separate-stderr logparse "$FIXTURES/logparse/bad.in"
	assert_success
	local f="$FIXTURES/logparse/bad.in"
	local expected
	expected=$(cat <<EOF
logparse: $f:2: missing fields: garbage
logparse: $f:4: bad time: 10.0.0.1 - - [32/Jan/2020:00:00:00 +0000] "GET /a HTTP/1.1" ...
logparse: $f:5: bad time: 10.0.0.1 - - [29/Feb/2023:00:00:00 +0000] "GET /a HTTP/1.1" ...
logparse: $f:6: bad time: 10.0.0.1 - - [10/Foo/2000:13:55:36 +0000] "GET /a HTTP/1.1" ...
logparse: $f:7: bad status: 10.0.0.1 - - [10/Oct/2000:13:55:36 +0000] "GET /a HTTP/1.1" ...
logparse: $f:8: bad status: 10.0.0.1 - - [10/Oct/2000:13:55:36 +0000] "GET /a HTTP/1.1" ...
logparse: $f:9: bad status: 10.0.0.1 - - [10/Oct/2000:13:55:36 +0000] "GET /a HTTP/1.1" ...
logparse: $f:10: bad bytes: 10.0.0.1 - - [10/Oct/2000:13:55:36 +0000] "GET /a HTTP/1.1" ...
logparse: $f:12: bad bytes: 10.0.0.1 - - [10/Oct/2000:13:55:36 +0000] "GET /a HTTP/1.1" ...
logparse: $f:13: bad request: 10.0.0.1 - - [10/Oct/2000:13:55:36 +0000] "GET /a HTTP/1.1 2...
logparse: $f: more bad lines will be counted, not shown
logparse: $f: 19 bad lines
EOF
)
	diff -u <(printf '%s\n' "$expected") <(printf '%s\n' "$stderr") >&2
}

@test "a warning shows control bytes of a bad line made safe" {
	run --separate-stderr sh -c "printf 'bad\033[2Jline\n' | logparse"
	assert_success
	[ "$stderr" = "$(printf '%s\n' 'logparse: stdin:1: missing fields: bad\x1b[2Jline' 'logparse: stdin: 1 bad line')" ]
	assert_output "$(printf '#httpmon-records 1\nbad\t1\tmissing fields')"
}

@test "-q silences the warnings but keeps bad records and the count" {
	run --separate-stderr logparse -q "$FIXTURES/logparse/bad.in"
	assert_success
	same_as bad.out
	[ "$stderr" = "logparse: $FIXTURES/logparse/bad.in: 19 bad lines" ]
}

@test "a line over 1 MiB is bad 'line too long' and skipped; its neighbours pass" {
	local in="$BATS_TEST_TMPDIR/long.log"
	{
		echo '10.0.0.1 - - [10/Oct/2000:13:55:36 +0000] "GET /before HTTP/1.1" 200 1'
		printf '10.0.0.1 - - [10/Oct/2000:13:55:36 +0000] "GET /'
		head -c 2097152 /dev/zero | tr '\0' a
		echo ' HTTP/1.1" 200 1'
		echo '10.0.0.1 - - [10/Oct/2000:13:55:36 +0000] "GET /after HTTP/1.1" 200 2'
	} > "$in"
	run --separate-stderr logparse "$in"
	assert_success
	assert_output "$(printf '%s\n' '#httpmon-records 1' \
	    "$(printf 'hit\t971186136\t10.0.0.1\t-\tGET\t/before\t/before\t200\t1\t-\t-')" \
	    "$(printf 'bad\t2\tline too long')" \
	    "$(printf 'hit\t971186136\t10.0.0.1\t-\tGET\t/after\t/after\t200\t2\t-\t-')")"
	[ "$stderr" = "$(printf '%s\n' "logparse: $in:2: line too long" "logparse: $in: 1 bad line")" ]
}

@test "empty lines are skipped silently" {
	run --separate-stderr sh -c "printf '\n\r\n\n' | logparse"
	assert_success
	assert_output '#httpmon-records 1'
	[ -z "$stderr" ]
}

@test "-T: marked ticks and comments pass through, a doubled mark is undone; the header is not repeated" {
	fixture_test logparse logparse passthrough -T
}

@test "-f auto reads each line in its own format" {
	run --separate-stderr logparse -a -f auto "$FIXTURES/logparse/forced.in"
	assert_success
	same_as forced-auto.out
}

@test "-f clf ignores referer and agent and rejects CSV" {
	run --separate-stderr logparse -a -f clf "$FIXTURES/logparse/forced.in"
	assert_success
	same_as forced-clf.out
}

@test "-f combined requires referer and agent" {
	run --separate-stderr logparse -a --format=combined "$FIXTURES/logparse/forced.in"
	assert_success
	same_as forced-combined.out
}

@test "-f csv rejects log format lines" {
	run --separate-stderr logparse -a -f csv "$FIXTURES/logparse/forced.in"
	assert_success
	same_as forced-csv.out
}

@test "files and - are read in order, line numbers counted per file" {
	run --separate-stderr sh -c 'printf "junk\n" | logparse "$1" - "$1"' sh \
	    "$FIXTURES/logparse/clf.in"
	assert_success
	[ "$(printf '%s\n' "$output" | grep -c '^hit')" = 6 ]
	[ "$(printf '%s\n' "$output" | grep -c '^#')" = 1 ]
	assert_line --index 4 "$(printf 'bad\t1\tmissing fields')"
	assert_line --index 5 "$(printf 'hit\t971211336\t127.0.0.1\tfrank\tGET\t/apache_pb.gif\t/apache_pb.gif\t200\t2326\t-\t-')"
	[ "$stderr" = "$(printf '%s\n' 'logparse: stdin:1: missing fields: junk' 'logparse: stdin: 1 bad line')" ]
}

@test "empty input gives just the header" {
	run --separate-stderr logparse < /dev/null
	assert_success
	assert_output '#httpmon-records 1'
}

@test "a record is written while the input is idle, not held in the buffer" {
	local fifo="$BATS_TEST_TMPDIR/in" out="$BATS_TEST_TMPDIR/out" ok=0 pid
	mkfifo "$fifo"
	logparse < "$fifo" > "$out" 2> "$BATS_TEST_TMPDIR/err" &
	pid=$!
	exec 4> "$fifo"
	echo '10.0.0.1 - - [10/Oct/2000:13:55:36 +0000] "GET /live HTTP/1.1" 200 1' >&4
	if wait_for grep -q '/live' "$out"; then ok=1; fi
	exec 4>&-
	wait "$pid"
	[ "$ok" = 1 ]
}

@test "a missing file exits 66 after reading the others" {
	run --separate-stderr logparse "$BATS_TEST_TMPDIR/nope" "$FIXTURES/logparse/clf.in"
	[ "$status" -eq 66 ]
	same_as clf.out
	[ "$stderr" = "logparse: $BATS_TEST_TMPDIR/nope: No such file or directory" ]
}

@test "an unknown format is a usage error (64)" {
	run --separate-stderr logparse -f w3c
	[ "$status" -eq 64 ]
	[ "${stderr_lines[0]}" = "logparse: -f w3c: unknown format (auto, clf, combined or csv)" ]
	[ "${stderr_lines[1]}" = "usage: logparse [-ahlqTV] [-f format] [file ...]" ]
	[ -z "$output" ]
}

@test "an unknown option or a missing argument is a usage error (64)" {
	run --separate-stderr logparse -x
	[ "$status" -eq 64 ]
	[ "${stderr_lines[1]}" = "usage: logparse [-ahlqTV] [-f format] [file ...]" ]
	run --separate-stderr logparse -f
	[ "$status" -eq 64 ]
}

@test "-h prints the usage and exits 0; -V and --version the version" {
	run logparse -h
	assert_success
	assert_output "usage: logparse [-ahlqTV] [-f format] [file ...]"
	run logparse -V
	assert_success
	assert_output "logparse 0.1.0"
	run logparse --version
	assert_output "logparse 0.1.0"
}

@test "an output that cannot be written exits 74" {
	[ -w /dev/full ] || skip "no /dev/full"
	run sh -c 'logparse < "$1" > /dev/full' sh "$FIXTURES/logparse/clf.in"
	[ "$status" -eq 74 ]
}

@test "an input that cannot be read exits 1" {
	run --separate-stderr logparse "$BATS_TEST_TMPDIR"
	[ "$status" -eq 1 ]
	assert_output '#httpmon-records 1'
	[ "$stderr" = "logparse: $BATS_TEST_TMPDIR: Is a directory" ]
}

# The fast paths (issue 5): each test below would catch a wrong result of
# one shortcut taken for speed.

@test "a control byte or backslash is escaped wherever it falls in a long field" {
	local in="$BATS_TEST_TMPDIR/esc.log" exp="$BATS_TEST_TMPDIR/esc.exp"
	local a=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa i k
	local raw=($'\033' $'\177' '\\') esc=('\x1b' '\x7f' '\\')
	# Agents of 40 bytes with an ESC, DEL or \ at every position, each
	# followed by a clean line (the fast path must not stick either way).
	for i in $(seq 0 39); do
		for k in 0 1 2; do
			printf '1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 1 "-" "%s%s%s"\n' \
			    "${a:0:i}" "${raw[k]}" "${a:i}" >> "$in"
			printf '%s%s%s\n' "${a:0:i}" "${esc[k]}" "${a:i}" >> "$exp"
			printf '1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 1 "-" "%s"\n' \
			    "${a:0:i+1}" >> "$in"
			printf '%s\n' "${a:0:i+1}" >> "$exp"
		done
	done
	run --separate-stderr sh -c "logparse '$in' | cut -f11 | tail -n +2"
	assert_success
	diff -u "$exp" <(printf '%s\n' "$output")
}

@test "a quote after an even run of backslashes ends a quoted field, after an odd run not" {
	printf '%s\n' \
	    '1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 1 "r" "ua\\"' \
	    '1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 1 "r" "ua\" x"' \
	    '1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 1 "r" "ua\\\" y"' \
	    '1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 1 "r\\\\" "z"' \
	    '1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 1 "a"b" "z"' \
	    > "$BATS_TEST_TMPDIR/q.log"
	run --separate-stderr sh -c "logparse '$BATS_TEST_TMPDIR/q.log' |
	    tail -n +2 | cut -f10,11"
	assert_success
	assert_output "$(printf '%s\t%s\n' r 'ua\\' r 'ua" x' r 'ua\\" y' \
	    'r\\\\' z 'a"b' z)"
}

@test "the date cache: month boundaries, zone changes and bad times after good ones" {
	local l='1.2.3.4 - - [%s] "GET / HTTP/1.1" 200 1\n'
	run --separate-stderr sh -c "printf '$l' \
	    '31/Jan/2019:23:59:59 +0000' '01/Feb/2019:00:00:00 +0000' \
	    '01/Feb/2019:00:00:00 +0100' '01/Feb/2019:00:00:00 -0100' \
	    '01/Feb/2019:00:00:00 +0130' '01/Feb/2019:00:00:01 +0000' \
	    '01/Mar/2019:00:00:00 +0000' '29/Feb/2019:00:00:00 +0000' \
	    '01/Mar/2019:00:00:00 +0000' '01/Mar/2019:24:00:00 +0000' \
	    '01/Mar/2019:00:00:00 +2400' '29/Feb/2020:23:59:59 -0000' \
	    | logparse -a -q | tail -n +2 | cut -f1-3"
	assert_success
	assert_output "$(printf '%s\t%s\t%s\n' \
	    hit 1548979199 1.2.3.4  hit 1548979200 1.2.3.4 \
	    hit 1548975600 1.2.3.4  hit 1548982800 1.2.3.4 \
	    hit 1548973800 1.2.3.4  hit 1548979201 1.2.3.4 \
	    hit 1551398400 1.2.3.4  bad 8 'bad time' \
	    hit 1551398400 1.2.3.4  bad 10 'bad time' \
	    bad 11 'bad time'       hit 1583020799 1.2.3.4)"
}

@test "a log read through a pipe in small chunks gives the same records as the file" {
	local in="$BATS_TEST_TMPDIR/in.log"
	loggen -f combined -n 3000 -r 50 -S 7 -o "$in"
	printf '1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET /\\x01\\\\ HTTP/1.1" 200 1\n' >> "$in"
	loggen -f csv -n 500 -S 8 >> "$in"
	run -0 sh -c "logparse '$in' | md5sum"
	local want=$output
	run -0 bash -c "slow_pipe '$in' | logparse | md5sum"
	assert_output "$want"
	[ "$(logparse "$in" | grep -c '^hit')" = 3501 ]
}

@test "a comment line in the log passes on with its control bytes escaped" {
	run --separate-stderr logparse <<<$'#Fields: a\e[2Jb\tc'
	assert_success
	assert_line --index 1 '#Fields: a\x1b[2Jb\tc'
	refute_output --partial $'\e'
}

# csv_at T... -- one CSV line per epoch T, its path /T
csv_at() {
	local t
	for t in "$@"; do
		printf '"10.0.0.1","-","-",%s,"GET /%s HTTP/1.0",200,1\n' "$t" "$t"
	done
}

@test "a time 3600 s ahead passes; further ahead it waits for 2 lines that confirm it, which pass after it" {
	run --separate-stderr sh -c "$(declare -f csv_at); csv_at 1000 4600 8201 1001 8202 8203 | logparse | cut -f1-2"
	assert_success
	assert_output "$(printf '#httpmon-records 1\nhit\t1000\nhit\t4600\nhit\t1001\nhit\t8201\nhit\t8202\nhit\t8203')"
	[ -z "$stderr" ]
}

@test "a jump not confirmed is a bad record: after 2 lines near the old time, at another jump, at the end" {
	run --separate-stderr sh -c "$(declare -f csv_at); csv_at 1000 9000 1001 1002 20000 1003 10000 | logparse | cut -f1-3"
	assert_success
	assert_output "$(printf '#httpmon-records 1\nhit\t1000\t10.0.0.1\nhit\t1001\t10.0.0.1\nbad\t2\ttime jump not confirmed\nhit\t1002\t10.0.0.1\nhit\t1003\t10.0.0.1\nbad\t5\ttime jump not confirmed\nbad\t7\ttime jump not confirmed')"
	[[ $stderr == *'stdin:2: time jump not confirmed: "10.0.0.1","-","-",9000,'* ]]
}

@test "-l: a time more than 300 s ahead of the wall clock is a bad record; -a keeps that bound" {
	local now
	now=$(date +%s)
	run --separate-stderr sh -c "$(declare -f csv_at); csv_at $now $((now + 200)) $((now + 900)) | logparse -l | cut -f1-3"
	assert_success
	assert_output "$(printf '#httpmon-records 1\nhit\t%s\t10.0.0.1\nhit\t%s\t10.0.0.1\nbad\t3\ttime in the future' "$now" $((now + 200)))"
	run --separate-stderr sh -c "$(declare -f csv_at); csv_at $((now + 900)) | logparse -a -l | cut -f1"
	assert_output "$(printf '#httpmon-records 1\nbad')"
}
