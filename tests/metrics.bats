#!/usr/bin/env bats
# logmetrics: the Prometheus metrics file from the records of logalert
# and logstats, exact after a replay, valid, replaced atomically; and
# httpmon.sh --metrics.

load test_helper

setup() {
	T=$BATS_TEST_TMPDIR
	M=$FIXTURES/logmetrics
}

# teardown -- let a reader loop of a failed test end
teardown() {
	touch "$T/done"
}

# valid FILE -- FILE passes the strict parser, and promtool if installed
valid() {
	local out
	out=$(awk -f "$M/exposition.awk" "$1") || return 1
	[ -z "$(tail -c 1 "$1")" ] || { echo "no final newline" >&2; return 1; }
	iconv -f UTF-8 -t UTF-8 "$1" > /dev/null || return 1
	if command -v promtool > /dev/null; then
		promtool check metrics < "$1" || return 1
	fi
}

# sample FILE SERIES -- the value of SERIES in FILE, via the strict parser
sample() {
	awk -f "$M/exposition.awk" "$1" | S=$2 awk 'BEGIN { s = ENVIRON["S"] }
	    substr($0, 1, length(s) + 1) == s " " { print substr($0, length(s) + 2) }'
}

@test "a replay of the merged records gives exactly the metrics expected" {
	run --separate-stderr logmetrics -o "$T/m.prom" "$M/replay.in"
	assert_success
	diff -u "$M/replay.prom" "$T/m.prom"
}

@test "the metrics file is valid exposition format, with HELP and TYPE for every metric" {
	logmetrics -o "$T/m.prom" < "$M/replay.in" > /dev/null
	valid "$T/m.prom"
	run grep -c '^# TYPE ' "$T/m.prom"
	assert_output 13
	run grep -c '^# HELP ' "$T/m.prom"
	assert_output 13
}

@test "the strict parser reads the exact values back" {
	logmetrics -o "$T/m.prom" < "$M/replay.in" > /dev/null
	run sample "$T/m.prom" 'httpmon_hits_total{class="2xx"}'
	assert_output 25
	run sample "$T/m.prom" 'httpmon_section_hits_total{section="/api"}'
	assert_output 16
	# the record form of a section, \ and " escaped for Prometheus
	run sample "$T/m.prom" 'httpmon_section_bytes_total{section="/a"b\\c"}'
	assert_output 3000
	run sample "$T/m.prom" 'httpmon_section_hits_total{section="(other)"}'
	assert_output 10
	run sample "$T/m.prom" httpmon_window_average
	assert_output 0.4
	run sample "$T/m.prom" httpmon_alert_threshold
	assert_output 2.5
}

@test "the strict parser refuses what Prometheus would refuse" {
	printf '# HELP a_total x\n# TYPE a_total counter\na_total{x="1} 2\n' > "$T/bad1"
	printf '# TYPE a gauge\na 1 1700000000\n' > "$T/bad2"
	printf '# HELP a x\n# TYPE a gauge\na 1\n# HELP b x\n# TYPE b gauge\nb 1\na 2\n' > "$T/bad3"
	printf '# HELP a x\n# TYPE a counter\na 1\n' > "$T/bad4"
	printf '# HELP a x\n# TYPE a gauge\na{l="\\t"} 1\n' > "$T/bad5"
	local f
	for f in bad1 bad2 bad3 bad4 bad5; do
		run awk -f "$M/exposition.awk" "$T/$f"
		assert_failure
	done
}

@test "the records pass through unchanged" {
	run sh -c 'logmetrics -o "$1/m.prom" < "$2/replay.in" | cmp - "$2/replay.in"' \
	    sh "$T" "$M"
	assert_success
}

@test "alert and recover set the alert gauge and count the alerts" {
	head -n 8 "$M/replay.in" | logmetrics -o "$T/m.prom" > /dev/null
	run sample "$T/m.prom" httpmon_alert
	assert_output 1
	run sample "$T/m.prom" httpmon_alerts_total
	assert_output 1
	run sample "$T/m.prom" httpmon_window_hits
	assert_output 30
}

@test "a fleet: one series per server for its latest second, lag, hits and silence; a silent:NAME alert counts apart" {
	{
		printf 'server\t1010\tweb1\t1010\t0\t120\t0\n'
		printf 'server\t1010\tweb\\xff3\t1010\t0\t80\t0\n'
		printf 'alert\t1021\t0\t0\t0\tServer web1 stopped sending - last data at 1970-01-01T00:16:50Z\tsilent:web1\n'
		printf 'server\t1021\tweb1\t1010\t11\t0\t11\n'
	} > "$T/in"
	run --separate-stderr logmetrics -o "$T/m.prom" "$T/in"
	assert_success
	[ -z "$stderr" ]
	valid "$T/m.prom"
	run sample "$T/m.prom" httpmon_fleet_servers
	assert_output 2
	run sample "$T/m.prom" 'httpmon_server_silent_seconds{server="web1"}'
	assert_output 11
	run sample "$T/m.prom" 'httpmon_server_lag_seconds{server="web1"}'
	assert_output 11
	run sample "$T/m.prom" 'httpmon_server_hits{server="web\xff3"}'
	assert_output 80
	run sample "$T/m.prom" httpmon_fleet_alerts_total
	assert_output 1
	run sample "$T/m.prom" httpmon_alerts_total
	assert_output 0
	run sample "$T/m.prom" httpmon_alert
	assert_output 0
}

@test "-m caps the sections with a series of their own; the others count in (other)" {
	logmetrics -m 1 -o "$T/m.prom" < "$M/replay.in" > /dev/null
	valid "$T/m.prom"
	run sh -c 'grep "^httpmon_section_hits_total" "$1"' sh "$T/m.prom"
	assert_output 'httpmon_section_hits_total{section="/api"} 16
httpmon_section_hits_total{section="(other)"} 24'
}

@test "invalid UTF-8 in a section is written \\xHH, as in records; control bytes stay escaped" {
	logmetrics -o "$T/m.prom" < "$M/replay.in" > /dev/null
	run grep -c '^httpmon_section_hits_total{section="/caf\\\\xe9"} 6$' "$T/m.prom"
	assert_output 1
	run grep -c '^httpmon_section_hits_total{section="/x\\\\x1b\[2J"} 0$' "$T/m.prom"
	assert_output 1
}

@test "bad records are reported, passed on and not counted" {
	printf 'stats\t1\t2\nnope\nwindow\t5\tx\t1.00\t1\t0\n' > "$T/bad.in"
	run --separate-stderr logmetrics -o "$T/m.prom" "$T/bad.in"
	assert_success
	assert_output $'stats\t1\t2\nnope\nwindow\t5\tx\t1.00\t1\t0'
	assert_equal "$stderr" "logmetrics: $T/bad.in:1: stats: wrong number of fields: stats\\t1\\t2
logmetrics: $T/bad.in:2: unknown record type: nope
logmetrics: $T/bad.in:3: alert: a field is not a number: window\\t5\\tx\\t1.00\\t1\\t0
logmetrics: $T/bad.in: 3 bad records"
	run sample "$T/m.prom" httpmon_intervals_total
	assert_output 0
}

@test "a file that cannot be written is an error at once (exit 74)" {
	run -74 --separate-stderr logmetrics -o "$T/none/m.prom" < /dev/null
	assert_equal "$stderr" "logmetrics: $T/none/m.prom: No such file or directory"
}

@test "-o is required" {
	run -64 --separate-stderr logmetrics < /dev/null
	assert_equal "${stderr%%$'\n'*}" 'logmetrics: -o file: where to keep the metrics is required'
}

@test "the file is there, all zero, as soon as logmetrics starts" {
	mkfifo "$T/in"
	logmetrics -o "$T/m.prom" < "$T/in" > /dev/null &
	exec 8> "$T/in"
	wait_for test -f "$T/m.prom"
	run sample "$T/m.prom" 'httpmon_hits_total{class="2xx"}'
	assert_output 0
	exec 8>&-
	wait
}

@test "the file is rewritten when the records pause, not only at the end" {
	mkfifo "$T/in"
	logmetrics -o "$T/m.prom" < "$T/in" > /dev/null &
	exec 8> "$T/in"
	head -n 3 "$M/replay.in" >&8
	wait_for grep -q '^httpmon_intervals_total 1$' "$T/m.prom"
	sed -n 4,8p "$M/replay.in" >&8
	wait_for grep -q '^httpmon_alert 1$' "$T/m.prom"
	exec 8>&-
	wait
	run sample "$T/m.prom" httpmon_intervals_total
	assert_output 1
}

@test "records are passed on at once, whenever the file is next due" {
	mkfifo "$T/in"
	logmetrics -u 600 -o "$T/m.prom" < "$T/in" > "$T/out" &
	exec 8> "$T/in"
	wait_for test -f "$T/m.prom"
	# the next rewrite is 600 s away: the records must not wait for it
	head -n 8 "$M/replay.in" >&8
	wait_for grep -q '^alert' "$T/out"
	run sample "$T/m.prom" httpmon_intervals_total
	assert_output 0
	exec 8>&-
	wait
	run sample "$T/m.prom" httpmon_alert
	assert_output 1
}

@test "the file is replaced atomically: a new inode each time, never a partial file" {
	mkfifo "$T/in"
	logmetrics -u 0 -o "$T/m.prom" < "$T/in" > /dev/null &
	local pid=$!
	exec 8> "$T/in"
	wait_for test -f "$T/m.prom"
	local first
	first=$(stat -c %i "$T/m.prom")
	ln "$T/m.prom" "$T/first"	# so that its inode number is not reused
	# A reader that checks every version it can catch while the writer
	# feeds 1500 stats records one by one (a rewrite at each pause).
	(
		exec 8>&-	# or logmetrics would never see the end of its input
		n=0 partial=0
		while [ ! -e "$T/done" ]; do
			c=$(cat "$T/m.prom")
			case $c in
			'# HELP httpmon_hits_total '*$'\nhttpmon_log_time_seconds '[0-9]*) ;;
			'# HELP httpmon_hits_total '*$'\nhttpmon_window_average 0') ;;
			*) partial=$((partial + 1)) ;;
			esac
			n=$((n + 1))
		done
		echo "$n $partial" > "$T/reader"
	) &
	local i
	for i in $(seq 1 1500); do
		printf 'stats\t%d\t10\t1\t0.10\t5\t%d\t%d\t1\t0\t0\t0\t0\t1\t0\t0\t0\t0\t0\n' \
		    $((i * 10)) "$i" $((i * 5)) >&8
	done
	exec 8>&-
	wait "$pid"
	touch "$T/done"
	wait
	run sample "$T/m.prom" httpmon_bytes_total
	assert_output 7500
	[ "$(stat -c %i "$T/m.prom")" != "$first" ]
	read -r reads partial < "$T/reader"
	echo "reads $reads, partial $partial" >&2
	[ "$reads" -gt 0 ]
	assert_equal "$partial" 0
	# and no temporary file is left behind
	run ls -A "$T"
	refute_output --partial '.m.prom.'
}

@test "httpmon.sh --metrics: exact totals after a replay, equal to the log's" {
	loggen -f combined -r 4:30,15:40,2:60 -S 5 > "$T/access.log"
	run --separate-stderr httpmon.sh -N -w 30 -t 8 --metrics "$T/m.prom" \
	    "$T/access.log"
	assert_success
	valid "$T/m.prom"
	# the same figures straight from the parsed log
	logparse "$T/access.log" | awk -F'\t' '$1 == "hit" {
		c = substr($8, 1, 1); n[c]++; b += $9; h++ }
	    END { printf "%d %d %d %d %d %d\n", n[2], n[3], n[4], n[5], b, h }' \
	    > "$T/want"
	local got
	got="$(sample "$T/m.prom" 'httpmon_hits_total{class="2xx"}')"
	got+=" $(sample "$T/m.prom" 'httpmon_hits_total{class="3xx"}')"
	got+=" $(sample "$T/m.prom" 'httpmon_hits_total{class="4xx"}')"
	got+=" $(sample "$T/m.prom" 'httpmon_hits_total{class="5xx"}')"
	got+=" $(sample "$T/m.prom" httpmon_bytes_total)"
	got+=" $(awk -f "$M/exposition.awk" "$T/m.prom" |
	    awk '/^httpmon_section_hits_total/ { s += $NF } END { print s }')"
	assert_equal "$got" "$(cat "$T/want")"
	# the alert of the burst, recovered by the end; 130 s of log, 13 intervals
	run sample "$T/m.prom" httpmon_alerts_total
	assert_output 1
	run sample "$T/m.prom" httpmon_alert
	assert_output 0
	run sample "$T/m.prom" httpmon_intervals_total
	assert_output 13
	run sample "$T/m.prom" httpmon_alert_threshold
	assert_output 8
	# the printed output is the same as without --metrics
	run --separate-stderr httpmon.sh -N -w 30 -t 8 "$T/access.log"
	sort <<<"$output" > "$T/plain"
	run --separate-stderr httpmon.sh -N -w 30 -t 8 --metrics "$T/m2.prom" \
	    "$T/access.log"
	diff -u "$T/plain" <(sort <<<"$output")
}

@test "httpmon.sh --metrics into a folder that does not exist fails before starting" {
	loggen -f clf -n 10 > "$T/access.log"
	run -74 httpmon.sh -N --metrics "$T/none/m.prom" "$T/access.log"
	assert_output "httpmon.sh: $T/none/m.prom: No such file or directory"
}

@test "logmetrics takes logstats' record of the last interval of year 9999; the time range holds at both ends" {
	# the last interval of 9999-12-31 ends at 253402300800, one second
	# after the last valid time (TIME_MAX): logstats writes it
	printf 'hit\t253402300795\th\t-\tGET\t/a\t/a\t200\t5\t-\t-\n' |
	    logstats -i 10 > "$T/last.rec"
	run grep -c $'^stats\t253402300800\t10\t' "$T/last.rec"
	assert_output 1
	# and, at the other end, the first interval of 1970 (from second 0)
	printf 'hit\t0\th\t-\tGET\t/a\t/a\t200\t5\t-\t-\n' |
	    logstats -i 10 >> "$T/last.rec"
	run --separate-stderr logmetrics -o "$T/m.prom" "$T/last.rec"
	assert_success
	assert_equal "$stderr" ""
	run sample "$T/m.prom" httpmon_intervals_total
	assert_output 2
	# an interval that would start before 1970 or end past the range: bad
	printf 'stats\t%s\t10\t1\t0.10\t5\t1\t5\t1\t0\t0\t0\t0\t1\t0\t0\t0\t0\t0\n' \
	    9 253402300810 > "$T/out.rec"
	run --separate-stderr logmetrics -o "$T/m.prom" "$T/out.rec"
	assert_success
	run grep -c 'stats: bad END' <<< "$stderr"
	assert_output 2
	run sample "$T/m.prom" httpmon_intervals_total
	assert_output 0
}

@test "one series per distinct section, always: sections that differ only in invalid UTF-8 stay apart, in a valid file" {
	# /\xff and /\xfe raw (both U+FFFD once), and /\xff again in its
	# record form: the same section as the raw one
	{
		printf 'stats\t1010\t10\t7\t0.70\t70\t7\t70\t7\t0\t0\t0\t0\t1\t0\t0\t0\t0\t0\n'
		printf 'section\t1010\t1\t/\377\t3\t30\t0\t0\n'
		printf 'section\t1010\t2\t/\376\t2\t20\t0\t0\n'
		printf 'section\t1010\t3\t/\\xff\t1\t10\t0\t0\n'
		printf 'section\t1010\t4\t/\\\\xff\t1\t10\t0\t0\n'
	} > "$T/ff.in"
	run --separate-stderr logmetrics -o "$T/m.prom" "$T/ff.in"
	assert_success
	valid "$T/m.prom"
	# the label values, as Prometheus reads them: the record form
	run sample "$T/m.prom" 'httpmon_section_hits_total{section="/\xff"}'
	assert_output 4
	run sample "$T/m.prom" 'httpmon_section_hits_total{section="/\xfe"}'
	assert_output 2
	# a real backslash before "xff" is \\ in the record form: its own series
	run sample "$T/m.prom" 'httpmon_section_hits_total{section="/\\xff"}'
	assert_output 1
	run grep -c '^httpmon_section_hits_total{' "$T/m.prom"
	assert_output 4
}
