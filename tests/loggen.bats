#!/usr/bin/env bats
# loggen.bats -- the access-log generator: determinism, phases, formats,
# dates, jitter, live mode and usage errors.

load test_helper

CLF_RE='^[0-9a-f.:]+ - [a-z-]+ \[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9]{2}:[0-9]{2}:[0-9]{2} \+0000\] "(GET|POST|PUT|DELETE) /[^ "]* HTTP/1\.[01]" (200|301|404|500|503) ([0-9]+|-)'
CSV_RE='^"[0-9a-f.:]+","-","[a-z-]+",[0-9]+,"(GET|POST|PUT|DELETE) /[^ "]* HTTP/1\.[01]",(200|301|404|500|503),[0-9]+$'

@test "-V prints the name and version" {
	run loggen -V
	assert_success
	assert_output --regexp '^loggen [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "-h prints the usage and succeeds" {
	run loggen -h
	assert_success
	assert_line --index 0 --partial 'usage: loggen [-hLV]'
}

@test "the default seed gives these exact first lines on every machine" {
	run sh -c 'loggen -f clf -n 3'
	assert_success
	assert_output '10.0.0.12 - - [07/Feb/2019:21:11:00 +0000] "GET /api/cart/items?page=992 HTTP/1.1" 200 24284
10.0.0.1 - - [07/Feb/2019:21:11:00 +0000] "GET /api/user?page=14 HTTP/1.0" 200 42044
10.0.0.8 - alice [07/Feb/2019:21:11:00 +0000] "POST /images/banner.jpg HTTP/1.1" 200 819'
}

@test "the same arguments give byte-identical output" {
	a=$(loggen -r 50:20,5:10 -j 3 -S 42 | cksum)
	b=$(loggen -r 50:20,5:10 -j 3 -S 42 | cksum)
	[ "$a" = "$b" ]
	[ "$(loggen -r 50:20,5:10 -j 3 -S 42 | wc -l)" -eq 1050 ]
}

@test "a different seed gives different output" {
	a=$(loggen -S 1 -n 200 | cksum)
	b=$(loggen -S 2 -n 200 | cksum)
	[ "$a" != "$b" ]
}

@test "the format does not change the requests: clf is a prefix of combined" {
	loggen -f clf -n 500 -S 7 > "$BATS_TEST_TMPDIR/clf"
	loggen -f combined -n 500 -S 7 | sed 's/ "[^"]*" "[^"]*"$//' \
	    > "$BATS_TEST_TMPDIR/combined"
	cmp "$BATS_TEST_TMPDIR/clf" "$BATS_TEST_TMPDIR/combined"
}

@test "phases give exact line counts per second" {
	run sh -c 'loggen -f csv -r 20:3,2:2 -s 1000 | tail -n +2 |
	    cut -d, -f4 | uniq -c | awk "{print \$2, \$1}"'
	assert_success
	assert_output '1000 20
1001 20
1002 20
1003 2
1004 2'
}

@test "a phase of rate 0 is a silent gap in log time" {
	run sh -c 'loggen -f csv -r 1:2,0:3,1:1 -s 100 | tail -n +2 | cut -d, -f4'
	assert_success
	assert_output '100
101
105'
}

@test "without -r the log is 10 lines a second for 60 seconds" {
	run sh -c 'loggen | wc -l'
	assert_success
	assert_output 600
}

@test "-n stops after that many lines, or at the end of the phases" {
	run sh -c 'loggen -n 7 -r 1000 | wc -l'
	assert_output 7
	run sh -c 'loggen -n 100 -r 5:2 | wc -l'
	assert_output 10
	run sh -c 'loggen -n 0 | wc -l'
	assert_output 0
}

@test "clf lines have the Common Log Format shape" {
	loggen -f clf -n 2000 > "$BATS_TEST_TMPDIR/log"
	run grep -cEv "${CLF_RE}\$" "$BATS_TEST_TMPDIR/log"
	assert_output 0
	grep -q '^2001:db8::7 ' "$BATS_TEST_TMPDIR/log"
	grep -q '?' "$BATS_TEST_TMPDIR/log"
	grep -q '" 301 -$' "$BATS_TEST_TMPDIR/log"
}

@test "combined lines add a quoted referer and user agent" {
	loggen -f combined -n 2000 > "$BATS_TEST_TMPDIR/log"
	run grep -cEv "${CLF_RE}"' "[^"]*" "(Mozilla|curl)/[^"]*"$' \
	    "$BATS_TEST_TMPDIR/log"
	assert_output 0
}

@test "csv starts with the header and every line has the csv shape" {
	loggen -f csv -n 2000 > "$BATS_TEST_TMPDIR/log"
	run head -n 1 "$BATS_TEST_TMPDIR/log"
	assert_output '"remotehost","rfc931","authuser","date","request","status","bytes"'
	run sh -c "tail -n +2 '$BATS_TEST_TMPDIR/log' | grep -cEv '$CSV_RE'"
	assert_output 0
	[ "$(wc -l < "$BATS_TEST_TMPDIR/log")" -eq 2001 ]
}

@test "methods and statuses all occur" {
	loggen -f clf -n 5000 > "$BATS_TEST_TMPDIR/log"
	for w in '"GET ' '"POST ' '"PUT ' '"DELETE ' '" 200 ' '" 301 ' \
	    '" 404 ' '" 500 ' '" 503 ' '/api/' '/report' '/pages/' \
	    '/images/' '/login'; do
		grep -qF -- "$w" "$BATS_TEST_TMPDIR/log" || {
			echo "missing $w" >&2
			return 1
		}
	done
}

@test "clf dates match date(1) for the start epoch" {
	for t in 0 951782400 1549573860 1700000000 4102444799; do
		want=$(LC_ALL=C date -u -d "@$t" '+%d/%b/%Y:%H:%M:%S +0000')
		got=$(loggen -f clf -n 1 -s "$t" | sed 's/.*\[\(.*\)\].*/\1/')
		[ "$got" = "$want" ] || {
			echo "$t: got $got want $want" >&2
			return 1
		}
	done
}

@test "csv dates are the epoch seconds of -s" {
	run sh -c 'loggen -f csv -n 1 -s 1234567890 | tail -n 1 | cut -d, -f4'
	assert_output 1234567890
}

@test "jitter keeps each time stamp within [t-j, t] and goes back sometimes" {
	# 10 lines a second: line k (from 0) belongs to second start + k/10.
	run sh -c 'loggen -f csv -r 10:50 -j 3 -s 5000 | tail -n +2 |
	    cut -d, -f4 | awk "
	    { t = 5000 + int((NR - 1) / 10)
	      if (\$1 < t - 3 || \$1 > t) { print \"out of range\", NR, \$1; exit }
	      if (\$1 < t) early++
	      if (NR > 1 && \$1 < prev) back++
	      prev = \$1 }
	    END { print (early > 0 && back > 0) ? \"ok\" : \"no jitter\" }"'
	assert_success
	assert_output ok
}

@test "without jitter time stamps never go back" {
	run sh -c 'loggen -f csv -r 7:30,3:30 | tail -n +2 | cut -d, -f4 |
	    awk "NR > 1 && \$1 < prev { print \"back at\", NR } { prev = \$1 }"'
	assert_success
	assert_output ''
}

@test "-o appends to the file" {
	loggen -n 5 -o "$BATS_TEST_TMPDIR/log"
	loggen -n 5 -o "$BATS_TEST_TMPDIR/log"
	[ "$(wc -l < "$BATS_TEST_TMPDIR/log")" -eq 10 ]
	run cmp <(loggen -n 5; loggen -n 5) "$BATS_TEST_TMPDIR/log"
	assert_success
}

@test "an output that cannot be opened exits 74" {
	run -74 loggen -n 1 -o "$BATS_TEST_TMPDIR/no/such/dir/log"
	assert_output --partial 'no/such/dir/log'
}

@test "live mode writes the phases stamped with the wall clock" {
	before=$(date +%s)
	run timeout 30 loggen -L -f csv -r 20:2
	after=$(date +%s)
	assert_success
	[ "${#lines[@]}" -eq 41 ]
	for l in "${lines[@]:1}"; do
		[[ $l =~ $CSV_RE ]]
		t=$(echo "$l" | cut -d, -f4)
		[ "$t" -ge "$before" ]
		[ "$t" -le $((after + 1)) ]
	done
}

@test "live mode stops cleanly on SIGTERM, leaving whole lines" {
	log=$BATS_TEST_TMPDIR/live.log
	loggen -L -f clf -r 50 -o "$log" &
	pid=$!
	wait_for test -s "$log"
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" -eq 0 ]
	run grep -cEv "${CLF_RE}\$" "$log"
	assert_output 0
	[ "$(tail -c 1 "$log" | od -An -c | tr -d ' ')" = '\n' ]
}

@test "bad options and arguments exit 64 with a message" {
	run -64 loggen -x
	assert_output --partial usage:
	run -64 loggen -f xml
	assert_output --partial 'unknown format'
	run -64 loggen -r 1:x
	assert_output --partial 'bad phase'
	run -64 loggen -r ''
	run -64 loggen -r 5,
	run -64 loggen -r -3:2
	run -64 loggen -r 5,1:1
	assert_output --partial 'only the last phase'
	run -64 loggen -r 0
	run -64 loggen -j -1
	run -64 loggen -j 1x
	run -64 loggen -n many
	run -64 loggen -s -5
	run -64 loggen -S x
	run -64 loggen extra
	assert_output --partial 'unexpected argument'
}
