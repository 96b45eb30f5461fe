#!/usr/bin/env bats
# The record format: the schema table in common/record.c agrees with
# httpmon-records(5), and every program that reads records keeps the
# version rule: a record with a field appended is read as without it, a
# record with a field too few is bad input.  (logview reads records the
# same way but needs a terminal: logview.bats drives it.)

load test_helper

MAN5="$ROOT/man/httpmon-records.5"

# man_types -- "type FIELD ..." for each record type the manual lists
man_types() {
	sed -n 's/^\.It Cm \([a-z]*\) Ar /\1 /p' "$MAN5"
}

# widen FILE -- FILE with a field appended to every record
widen() {
	awk '/^#/ { print; next } { print $0 "\tnew field" }' "$1"
}

# narrow TYPE FILE -- FILE with the last field of the first TYPE record cut
narrow() {
	awk -v t="$1" -F '\t' '!done && $1 == t { sub(/\t[^\t]*$/, ""); done = 1 }
	    { print }' "$2"
}

# line_of TYPE FILE -- the line number of the first TYPE record
line_of() {
	awk -v t="$1" -F '\t' '$1 == t { print NR; exit }' "$2"
}

setup() {
	cd "$BATS_TEST_TMPDIR"
	{
		loggen -f combined -n 3000 -r 20:30,200:20,20:30 -S 3 |
		    logparse 2>/dev/null
		printf 'bad\t7\tmissing fields\ntick\t9999999999\n'
	} > hits.rec
	logalert -s -w 10 -t 50 hits.rec > alerts.rec
	logstats hits.rec > stats.rec
	cat stats.rec alerts.rec > shown.rec
	{ logroll -s web1 hits.rec; printf 'rollbad\t9999999999\tweb1\t99999\t2\n'; } > roll.rec
}

@test "the manual and the schema list the same record types" {
	run -0 sh -c "sed -n 's/.*TYPE(\"\\([a-z]*\\)\".*/\\1/p' \
	    '$ROOT/common/record.c' | sort"
	local table=$output
	[ "${#lines[@]}" -ge 13 ]
	run -0 sh -c "sed -n 's/^\\.It Cm \\([a-z]*\\) Ar .*/\\1/p' '$MAN5' | sort"
	assert_equal "$output" "$table"
}

@test "each record type has the manual's fields, in order, as logjson's keys" {
	local type fields f rec keys n=0
	while read -r type fields; do
		rec=$type keys=type
		for f in $fields; do
			rec+=$'\t1'
			keys+=" $(echo "$f" | tr A-Z a-z)"
		done
		run --separate-stderr logjson <<< "$rec"
		assert_success
		assert_equal "$stderr" ''
		assert_equal "$(jq -r 'keys_unsorted | join(" ")' <<< "$output")" "$keys"
		# one field fewer: bad
		run --separate-stderr logjson <<< "${rec%$'\t1'}"
		assert_output ''
		[[ $stderr == *"stdin:1: $type: "*" fields, not "* ]] || fail "$stderr"
		n=$((n + 1))
	done < <(man_types)
	[ "$n" -ge 13 ]
}

@test "the field-index enums of httpmon.h name the table's fields" {
	# tests/schema.c, built from the sources: it needs record.c alone
	run -0 sh -c "${CC:-cc} -std=c11 -D_DEFAULT_SOURCE \
	    \$(pkg-config --cflags libbsd-overlay) -I'$ROOT/common' \
	    '$ROOT/tests/schema.c' '$ROOT/common/record.c' \
	    '$ROOT/common/number.c' -o schema \
	    \$(pkg-config --libs libbsd-overlay)"
	run -0 ./schema
	assert_output ''
}

# same_wide PROG ARGS... FILE -- PROG writes the same for FILE and for FILE
# widened, but for the appended fields of the records it passes on.
same_wide() {
	local in=${*: -1}
	widen "$in" > wide.rec
	run --separate-stderr "${@:1:$#-1}" "$in"
	local out=$output err=$stderr
	run --separate-stderr "${@:1:$#-1}" wide.rec
	assert_equal "${stderr//wide.rec/$in}" "$err"
	assert_equal "${output//$'\tnew field'/}" "$out"
}

@test "a record with a field appended is read as without it, by every reader" {
	same_wide logalert -s -w 10 -t 50 hits.rec
	same_wide logalert -w 10 -t 50 roll.rec
	same_wide logstats hits.rec
	same_wide logstats roll.rec
	same_wide logroll -s web1 -S 0 hits.rec	# -S: both runs number alike
	same_wide logmerge -l 10 roll.rec
	same_wide logshow shown.rec
	same_wide logjson hits.rec
	same_wide logjson shown.rec
	same_wide logjson roll.rec
	same_wide logjson "$FIXTURES/logjson/every-type.in"
	same_wide logmetrics -o m.prom shown.rec
	cp m.prom wide.prom
	logmetrics -o m.prom shown.rec > /dev/null
	cmp m.prom wide.prom
}

# bad_narrow TYPE PROG ARGS... FILE -- PROG reports the first TYPE record of
# FILE as bad once its last field is cut
bad_narrow() {
	local type=$1 in=${*: -1} n
	shift
	n=$(line_of "$type" "$in")
	[ -n "$n" ] || fail "no $type record in $in"
	narrow "$type" "$in" > short.rec
	run --separate-stderr "${@:1:$#-1}" short.rec
	[[ $stderr == *"short.rec:$n: "* ]] ||
	    fail "$* does not reject a short $type record: $stderr"
}

@test "a record with a field too few is bad input, for every reader" {
	bad_narrow hit logalert -w 10 -t 50 hits.rec
	bad_narrow tick logalert -w 10 -t 50 hits.rec
	bad_narrow roll logalert -w 10 -t 50 roll.rec
	bad_narrow hit logstats hits.rec
	bad_narrow tick logstats hits.rec
	local t
	for t in roll rollhost rolltick rollbad; do
		bad_narrow $t logstats roll.rec
		bad_narrow $t logmerge -l 10 roll.rec
	done
	bad_narrow hit logroll -s web1 hits.rec
	bad_narrow tick logroll -s web1 hits.rec
	for t in stats section method alert; do
		bad_narrow $t logshow shown.rec
	done
	for t in stats section alert window; do
		bad_narrow $t logmetrics -o m.prom shown.rec
	done
	for t in hit tick bad; do
		bad_narrow $t logjson hits.rec
	done
}

@test "records escape C1 controls, bidi and format characters as \\xHH of their bytes; the bytes round-trip; logshow shows them escaped" {
	# U+202E and U+2066 (bidi), U+200B (invisible), U+009B (CSI) and
	# U+0085 (C1), a lone 0x9b byte; é stays as it is
	printf '10.0.0.1 - - [07/Feb/2019:21:11:00 +0000] "GET /a\342\200\256b\342\201\246c\342\200\213d\302\233e\302\205f\233/caf\303\251 HTTP/1.1" 200 12\n' > c1.log
	logparse c1.log > c1.rec
	run -0 awk -F '\t' '$1 == "hit" { print $6 }' c1.rec
	assert_output $'/a\\xe2\\x80\\xaeb\\xe2\\x81\\xa6c\\xe2\\x80\\x8bd\\xc2\\x9be\\xc2\\x85f\\x9b/caf\303\251'
	# no such byte raw in any record, nor ESC or CSI
	run -1 env LC_ALL=C grep -c $'\342\200\256\\|\342\201\246\\|\302\233\\|\302\205\\|\233' c1.rec
	# the record reader gives the bytes back (logjson unescapes)
	run -0 sh -c 'logjson c1.rec | jq -r .path'
	assert_output $'/a\342\200\256b\342\201\246c\342\200\213d\302\233e\302\205f\357\277\275/caf\303\251'
	# logstats reads and writes them the same; logshow shows them escaped
	run -0 sh -c 'logstats -i 10 c1.rec | logshow'
	assert_line --partial '1. /a\342\200\256b\342\201\246c\342\200\213d\302\233e\302\205f\233  '
}
