#!/usr/bin/env bats
# logjson: every record type as one JSON object, keys from the field list,
# numbers as numbers, strings escaped so that jq reads any log.

load test_helper

# one_hit AGENT -- a hit record whose agent field is AGENT (record-escaped)
one_hit() {
	printf 'hit\t100\th\t-\tGET\t/\t/\t200\t0\t-\t%s\n' "$1"
}

@test "every record type becomes one object with the keys of its fields" {
	fixture_test logjson logjson every-type
}

@test "jq reads every line, and numbers are JSON numbers" {
	run sh -c 'logjson < "$FIXTURES/logjson/every-type.in" |
	    jq -r "[.type, (.time // .end // .line | type),
	        (.hits // .status // 0 | type)] | join(\" \")"'
	assert_success
	assert_output - <<'OUT'
hit number number
tick number number
window number number
alert number number
recover number number
bad number number
stats number number
section number number
method number number
roll number number
rollhost number number
rolltick number number
rollbad number number
server number number
OUT
}

@test "exact values through jq: the alert, the stats, the section" {
	run sh -c 'logjson < "$FIXTURES/logjson/every-type.in" | jq -r "
	    select(.type == \"alert\") | [.time, .hits, .avg, .threshold,
	    .message] | @tsv"'
	assert_output $'1549573862\t3\t1.5\t1\tHigh traffic generated an alert - hits = 3, triggered at 2019-02-07T21:11:02Z'
	run sh -c 'logjson < "$FIXTURES/logjson/every-type.in" |
	    jq -c "select(.type == \"stats\") | [.hits, .rate, .total_bytes,
	    .s5xx, .late, .bad]"'
	assert_output '[12,1.2,4000,1,3,1]'
	run sh -c 'logjson < "$FIXTURES/logjson/every-type.in" |
	    jq -r "select(.type == \"section\") | .section"'
	assert_output '/api'
}

@test "record escapes come back as the bytes they stand for, JSON-escaped" {
	run sh -c 'printf "%s\n" "hit	1	h	-	GET	/a\\tb\\\\c\\nd\"e	/a	200	0	-	x\\x01\\x7f\\x00y" |
	    logjson'
	assert_success
	assert_output '{"type":"hit","time":1,"host":"h","user":"-","method":"GET","path":"/a\tb\\c\nd\"e","section":"/a","status":200,"bytes":0,"referer":"-","agent":"x\u0001\u007f\u0000y"}'
	# and jq gives back the exact bytes
	run sh -c 'printf "%s\n" "hit	1	h	-	GET	/a\\tb\\\\c\\nd\"e	/a	200	0	-	x" |
	    logjson | jq -j .path | od -An -c | tr -s " "'
	assert_output ' / a \t b \ c \n d " e'
}

@test "valid UTF-8 passes unchanged" {
	run sh -c "printf 'hit\t1\th\t-\tGET\t/caf\303\251\t/\t200\t0\t-\t\360\237\230\200 \344\270\255\n' | logjson | jq -r '.path, .agent'"
	assert_output $'/caf\303\251\n\360\237\230\200 \344\270\255'
}

@test "each byte not starting valid UTF-8 becomes U+FFFD" {
	# Latin-1 e-acute, a lone continuation byte, a truncated sequence,
	# an overlong slash, a surrogate, a code point above U+10FFFF
	run sh -c "printf 'hit\t1\th\t-\tGET\t/\t/\t200\t0\t-\tcaf\351|\200|\342\202|\300\257|\355\240\200|\364\220\200\200\n' | logjson"
	assert_success
	assert_output --partial '"agent":"caf\ufffd|\ufffd|\ufffd\ufffd|\ufffd\ufffd|\ufffd\ufffd\ufffd|\ufffd\ufffd\ufffd\ufffd"}'
	run sh -c "printf 'hit\t1\th\t-\tGET\t/\t/\t200\t0\t-\tcaf\351\n' | logjson | jq -r .agent"
	assert_output $'caf\357\277\275'
}

@test "terminal escape sequences from a log are escaped, never raw" {
	run sh -c "printf '%s\n' 'hit	1	h	-	GET	/	/	200	0	-	\\x1b]0;pwned\\x07\\x1b[2J' | logjson"
	assert_output --partial '"agent":"\u001b]0;pwned\u0007\u001b[2J"}'
	[[ $output != *$'\033'* ]]
}

@test "C1 controls, bidi and format characters are \\u escapes, never raw; jq gets them back" {
	# U+202E (right-to-left override), U+009B (CSI), U+E0001 (a tag),
	# then e-acute, which passes
	local in=$'hit\t1\th\t-\tGET\t/\t/\t200\t0\t-\tx\xe2\x80\xaey\xc2\x9bz\xf3\xa0\x80\x81\xc3\xa9'
	run sh -c 'printf "%s\n" "$1" | logjson' sh "$in"
	assert_success
	assert_output --partial '"agent":"x\u202ey\u009bz\udb40\udc01'$'\xc3\xa9''"}'
	[[ $output != *$'\xe2\x80\xae'* ]]
	[[ $output != *$'\xc2\x9b'* ]]
	run sh -c 'printf "%s\n" "$1" | logjson | jq -r .agent' sh "$in"
	assert_output $'x\xe2\x80\xaey\xc2\x9bz\xf3\xa0\x80\x81\xc3\xa9'
}

@test "redundant leading zeros are dropped from numbers" {
	run sh -c "printf 'stats\t0010\t10\t0\t00.50\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\n' | logjson | jq -c '[.end, .rate, .hits]'"
	assert_output '[10,0.5,0]'
}

@test "comments are dropped; bad records are reported and skipped, good ones kept" {
	run --separate-stderr sh -c "printf '#httpmon-records 1\nnope\t1\ntick\t5\nhit\t1\ntick\tx\nalert\t1\t2\t0.1.2\t1\tm\thits\ntick\t6\n' | logjson"
	assert_success
	assert_output $'{"type":"tick","time":5}\n{"type":"tick","time":6}'
	assert_equal "$stderr" "logjson: stdin:2: unknown record type: nope
logjson: stdin:4: hit: 2 fields, not 11: hit\\t1
logjson: stdin:5: tick: time is not a number: tick\\tx
logjson: stdin:6: alert: avg is not a number: alert\\t1\\t2\\t0.1.2\\t1\\tm\\thits
logjson: stdin: 4 bad records"
}

@test "a whole replay through jq: one object per hit, none lost" {
	loggen -f combined -n 500 -S 3 > "$BATS_TEST_TMPDIR/access.log"
	run sh -c 'logparse "$1" | logjson | jq -s "length, (map(.bytes) | add)"' \
	    sh "$BATS_TEST_TMPDIR/access.log"
	assert_success
	local want
	want=$(logparse "$BATS_TEST_TMPDIR/access.log" |
	    awk -F'\t' '$1 == "hit" { n++; b += $9 } END { print n; print b }')
	assert_output "$want"
	assert_line --index 0 500
}

@test "files are read in turn, - is standard input" {
	printf 'tick\t1\n' > "$BATS_TEST_TMPDIR/a"
	run sh -c 'printf "tick\t2\n" | logjson "$1" - "$1"' sh "$BATS_TEST_TMPDIR/a"
	assert_output $'{"type":"tick","time":1}\n{"type":"tick","time":2}\n{"type":"tick","time":1}'
}

@test "a missing input is reported and exits 66, the others are converted" {
	printf 'tick\t1\n' > "$BATS_TEST_TMPDIR/a"
	run -66 --separate-stderr logjson "$BATS_TEST_TMPDIR/none" "$BATS_TEST_TMPDIR/a"
	assert_output '{"type":"tick","time":1}'
	assert_equal "$stderr" "logjson: $BATS_TEST_TMPDIR/none: No such file or directory"
}

@test "httpmon.sh --json writes the alerts and stats as JSON Lines" {
	loggen -f clf -r 2:30,12:30,1:60 > "$BATS_TEST_TMPDIR/access.log"
	run --separate-stderr httpmon.sh -N -w 10 -t 5 -i 60 --json \
	    "$BATS_TEST_TMPDIR/access.log"
	assert_success
	run jq -sc 'map(select(.type == "alert" or .type == "recover") |
	    [.type, .threshold]) + [map(select(.type == "stats")) |
	    (map(.hits) | add)]' <<<"$output"
	assert_output '[["alert",5],["recover",5],480]'
}
