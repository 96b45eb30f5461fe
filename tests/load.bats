#!/usr/bin/env bats
# Nothing lost under load: 5 million lines (and 50 bad ones among them)
# through the whole pipeline.  Every good line is a hit counted by
# logstats and seen by logalert; every bad line is reported and counted.

load test_helper

N=5000000

setup_file() {
	# 100 hits/s for 50,000 s, in order; a garbage line after every
	# 100,000th line: 50 bad lines
	loggen -f clf -n "$N" -r 100 |
	    awk '{ print } NR % 100000 == 0 { print "garbage line " NR }' \
	    > "$BATS_FILE_TMPDIR/load.log"
}

@test "5 million lines: the driver's stats count every hit and every bad line" {
	local log=$BATS_FILE_TMPDIR/load.log
	run --separate-stderr httpmon.sh -N -i 1000 "$log"
	assert_success
	assert_line --partial "total $N hits"
	# each interval says how many bad lines it had: 50 in all
	[ "$(printf '%s\n' "$output" | sed -n 's/.*| bad \([0-9]*\)$/\1/p' |
	    awk '{ s += $1 } END { print s }')" = 50 ]
	[[ "$stderr" == *"logparse: stdin: 50 bad lines"* ]]
}

@test "5 million lines: logstats counts and logalert sees every hit, stage by stage" {
	local log=$BATS_FILE_TMPDIR/load.log d=$BATS_TEST_TMPDIR end
	mkfifo "$d/records"
	end=$(( $(tail -n 2 "$log" | head -n 1 | sed 's/.*\[\([^]]*\)\].*/\1/' |
	    sed 's,/, ,g; s/:/ /' | xargs -I{} date -u -d '{}' +%s) + 2 ))
	logstats -i 1000 < "$d/records" > "$d/stats" 2> "$d/stats.err" &
	local stats=$!
	# The stages of httpmon.sh; a tick 2 s after the last hit makes
	# logalert evaluate the window that holds every hit (W = 7 days).
	{
		logtail -N "$log" | logparse 2> "$d/parse.err" | tee "$d/records"
		printf 'tick\t%s\n' "$end"
	} | logalert -s -w 604800 -t 1000000 > "$d/alert" 2> "$d/alert.err"
	wait "$stats"
	run tail -n 1 "$d/parse.err"
	assert_output "logparse: stdin: 50 bad lines"
	run grep -c "^logparse: stdin:[0-9]*: bad time: garbage line" "$d/parse.err"
	assert_output 10	# the first ten are shown
	run cat "$d/alert.err" "$d/stats.err"
	assert_output ""
	# logalert: the last window holds every hit
	run tail -n 1 "$d/alert"
	[[ "$output" == "$(printf 'window\t%s\t%s\t' "$end" "$N")"* ]]
	# logstats: total hits, and the bad lines summed over the intervals
	run awk -F'\t' '$1 == "stats" { t = $7; b += $16; late += $15 }
	    END { print t, b, late }' "$d/stats"
	assert_output "$N 50 0"
}
