#!/usr/bin/env bats
# logshow: alert and stats records in, text for a person out.

load test_helper

@test "alert and recover records print their message as is" {
	fixture_test logshow logshow alert
}

@test "a stats block prints as a header, top sections and methods" {
	fixture_test logshow logshow stats
}

@test "groups end at the next record; hit, tick, bad and comments are ignored" {
	fixture_test logshow logshow interleaved
}

@test "control bytes and escape sequences from records are shown escaped" {
	fixture_test logshow logshow escape
}

@test "an escaped ESC in a section name never reaches the terminal raw" {
	# Count the raw ESC, CSI, BEL and CR bytes in the output: none.
	run sh -c 'logshow < "$FIXTURES/logshow/escape.in" | od -An -v -tx1 |
	    tr -s " " "\n" | grep -cxE "1b|9b|07|0d"'
	assert_output "0"
	run logshow < "$FIXTURES/logshow/escape.in"
	assert_line --partial '1. /a\033]0;pwned\a '
	assert_line 'msg \033[2J end'
}

@test "a long methods line wraps before column 78" {
	fixture_test logshow logshow wrap
	run sh -c 'logshow < "$FIXTURES/logshow/wrap.in" | awk "length > 78"'
	assert_output ""
}

@test "-r passes the records through unchanged" {
	run sh -c 'logshow -r < "$FIXTURES/logshow/escape.in" | cmp - "$FIXTURES/logshow/escape.in"'
	assert_success
}

@test "a malformed record is skipped and named with its line number" {
	run --separate-stderr sh -c 'printf "stats\t20\t10\nwhat\nalert\t1\t2\t3\t4\thello\thits\n" | logshow'
	assert_success
	assert_output "hello"
	[ "$stderr" = "$(printf '%s\n' \
	    'logshow: stdin:1: malformed record: stats\t20\t10' \
	    'logshow: stdin:2: malformed record: what' \
	    'logshow: stdin: 2 bad records')" ]
}

@test "a missing file exits 66" {
	run -66 logshow "$BATS_TEST_TMPDIR/none"
}

@test "a bad option exits 64 with the usage line" {
	run -64 --separate-stderr logshow -x
	[ "${stderr##*$'\n'}" = "usage: logshow [-hrV] [file ...]" ]
}

@test "-h prints usage and -V the version" {
	run logshow -h
	assert_success
	assert_output "usage: logshow [-hrV] [file ...]"
	run logshow -V
	assert_success
	assert_output --regexp '^logshow [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "logstats output renders end to end" {
	run sh -c 'logstats < "$FIXTURES/logstats/grace.in" | logshow'
	assert_success
	assert_line --index 0 '[1970-01-01T00:01:50Z] last 10s: 2 hits (0.20/s), 50 B'
	assert_line '  total 6 hits, 210 B | hosts 2 | late 1 | bad 0'
}

@test "window records (logalert -s) are ignored" {
	run --separate-stderr logshow <<<$'window\t101\t2\t0.67\t0.5\t2'
	assert_success
	assert_output ""
	assert_equal "$stderr" ""
}

@test "an estimated host count shows a tilde, folded hits an other line" {
	run -0 sh -c "printf 'stats\t20\t10\t9\t0.90\t9\t9\t9\t9\t0\t0\t0\t0\t5000\t0\t0\t4\t2\t1\n' | logshow"
	assert_output "[1970-01-01T00:00:20Z] last 10s: 9 hits (0.90/s), 9 B
  total 9 hits, 9 B | hosts ~5000 | late 0 | bad 0
  other sections 4  other methods 2
  status 2xx 9  3xx 0  4xx 0  5xx 0  other 0"
}
