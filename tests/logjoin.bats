#!/usr/bin/env bats
# logjoin, and the guarantees around it: records are never split when two
# stages share a pipe, the merge is in one order whatever the scheduler
# does, and a reader that stops reading holds nothing upstream.

load test_helper

# many_sections FILE -- 600 s of hits, 150 or 30 a second, each second's
# hits in as many distinct sections: with -n 100 logstats writes large
# blocks, so that two writers fill a pipe together
many_sections() {
	awk 'BEGIN { for (s = 0; s < 600; s++) {
		n = s % 50 < 25 ? 150 : 30
		for (h = 0; h < n; h++)
			printf "hit\t%d\t10.0.0.%d\t-\tGET\t/s%d/x\t/section-%d" \
			    "\t200\t100\t-\t-\n", 1000000 + s, h % 200, h, h
	} }' > "$1"
}

# whole_records -- the lines of standard input whose field count is not
# their type's (as httpmon-records(5) lists them, which records.bats holds
# to the schema), then "LINES BAD"
whole_records() {
	awk -F '\t' 'NR == FNR { n[$1] = NF; next }
	    /^#/ { next }
	    !($1 in n) || NF != n[$1] { bad++; print "split: " $0 }
	    END { print FNR, bad + 0 }' <(sed -n 's/^\.It Cm \([a-z]*\) Ar /\1 /p' \
	    "$ROOT/man/httpmon-records.5" | tr ' ' '\t') -
}
export -f whole_records

# slow_reader -- cat, 700 bytes at a time with a pause: the writers find
# the pipe full and their writes wait, partly taken
slow_reader() {
	perl -e '$| = 1; while (sysread(STDIN, $b, 700)) { print $b;
	    select(undef, undef, undef, 0.0003) }'
}
export -f slow_reader

@test "logstats and logalert sharing one pipe with a slow reader: no record split" {
	cd "$BATS_TEST_TMPDIR"
	many_sections hits.rec
	for i in 1 2 3; do
		run bash -c '(logstats -i 1 -n 100 hits.rec &
		    logalert -s -w 10 -t 100 hits.rec; wait) | slow_reader |
		    whole_records'
		assert_success
		assert_output "40824 0"
	done
}

@test "logalert -c and logstats -c close each move of log time with a clock" {
	cd "$BATS_TEST_TMPDIR"
	printf 'hit\t100\t-\t-\t-\t-\t-\t200\t0\t-\t-\n%.0s' 1 2 > in.rec
	printf 'hit\t102\t-\t-\t-\t-\t-\t200\t0\t-\t-\ntick\t105\n' >> in.rec
	run -0 logalert -c -w 2 -t 0.5 in.rec
	assert_output "$(printf '%s\n' '#httpmon-records 1' 'clock	100' \
	    'alert	101	2	1.00	0.5	High traffic generated an alert - hits = 2, triggered at 1970-01-01T00:01:41Z	hits' \
	    'clock	102' \
	    'recover	103	1	0.50	0.5	Traffic recovered - hits = 1, recovered at 1970-01-01T00:01:43Z	hits' \
	    'clock	105')"
	# the blocks of the end of input come after the last clock
	run -0 sh -c 'logstats -c -i 2 in.rec | cut -f 1,2'
	assert_output "$(printf '%s\n' 'clock	100' 'clock	102' \
	    'stats	102' 'section	102' 'method	102' 'clock	105' 'stats	104' \
	    'section	104' 'method	104' 'stats	106')"
}

@test "logjoin: by epoch, then by input, then as in the input; clocks and headers not passed on" {
	cd "$BATS_TEST_TMPDIR"
	# a clock closes an epoch: a1 is of 102, a2 of 105; b0 of 100, b1 of
	# 102, b2 b3 of 106, b4 (open at the end) last of all
	printf '#httpmon-records 1\nclock\t100\na1\nclock\t102\na2\nclock\t105\n' > a
	printf '#httpmon-records 1\nb0\nclock\t100\nb1\nclock\t102\nb2\nb3\nclock\t106\nb4\n' > b
	run -0 logjoin a b
	assert_output "$(printf '%s\n' '#httpmon-records 1' b0 a1 b1 a2 b2 b3 b4)"
	run -0 logjoin b a
	assert_output "$(printf '%s\n' '#httpmon-records 1' b0 b1 a1 a2 b2 b3 b4)"
	# -c: a clock after each epoch's last record
	run -0 logjoin -c a b
	assert_output "$(printf '%s\n' '#httpmon-records 1' b0 'clock	100' a1 b1 \
	    'clock	102' a2 'clock	105' b2 b3 'clock	106' b4 'clock	106')"
}

@test "logjoin: a bad clock is reported and skipped; -h, -V, no input" {
	cd "$BATS_TEST_TMPDIR"
	printf 'clock\tsoon\nx\n' > a
	run -0 --separate-stderr logjoin a
	assert_output "$(printf '%s\n' '#httpmon-records 1' x)"
	[[ $stderr == *"a:1: clock: bad time"* ]] || fail "$stderr"
	run -0 logjoin -h
	assert_output 'usage: logjoin [-chV] [-m kib] [-o file] file ...'
	run -64 --separate-stderr logjoin
	run -66 --separate-stderr logjoin no-such-file
}

# replay_by_hand HITS OUT -- logalert and logstats on HITS through FIFOs,
# as the driver runs them, merged by logjoin into OUT
replay_by_hand() {
	local d
	d=$(mktemp -d "$BATS_TEST_TMPDIR/fifos.XXXXXX")
	mkfifo "$d/hits" "$d/alerts" "$d/stats"
	logstats -c -i 1 -n 100 < "$d/hits" > "$d/stats" &
	logtee -s "$d/hits" < "$1" | logalert -c -s -w 10 -t 100 > "$d/alerts" &
	logjoin "$d/alerts" "$d/stats" > "$2"
	wait
	rm -r "$d"
}

@test "logjoin: the merge of two stages is the same, byte for byte, run after run" {
	cd "$BATS_TEST_TMPDIR"
	many_sections hits.rec
	logalert -c -s -w 10 -t 100 hits.rec > a.rec
	logstats -c -i 1 -n 100 hits.rec > s.rec
	logjoin a.rec s.rec > expected
	for i in $(seq 1 10); do
		replay_by_hand hits.rec "out$i"
	done
	run -0 sh -c 'sha256sum out* expected | cut -d " " -f 1 | sort -u | wc -l'
	assert_output 1
	# every record of both, once, and one header
	run -0 sh -c 'grep -cv "^clock	\|^#" a.rec s.rec | cut -d: -f2 |
	    paste -sd+ | bc'
	assert_equal "$(($(wc -l < expected) - 1))" "$output"
}

@test "logjoin: a reader that stops reading holds up no writer; it gets everything later" {
	cd "$BATS_TEST_TMPDIR"
	many_sections hits.rec
	logalert -c -s -w 10 -t 100 hits.rec > a.rec
	logstats -c -i 1 -n 100 hits.rec > s.rec
	logjoin a.rec s.rec > expected
	mkfifo a s o
	mkdir spill
	# the reader: opens the merge, reads nothing until told to (go)
	bash -c 'exec 3< o; for i in $(seq 1 1200); do [ -e go ] && break
	    sleep 0.05; done; cat <&3 > got' &
	local reader=$!
	TMPDIR=$PWD/spill timeout 120 logjoin -m 4 a s > o &
	local join=$!
	# both writers finish although nobody reads the merge
	timeout 60 logalert -c -s -w 10 -t 100 hits.rec > a
	timeout 60 logstats -c -i 1 -n 100 hits.rec > s
	# the backlog waits in a spill file, unlinked
	run ls -A spill
	assert_output ""
	touch go
	wait "$join"
	wait "$reader"
	cmp expected got
}

@test "httpmon.sh: 20 replays of one log give one output (--plain, --json, --metrics)" {
	cd "$BATS_TEST_TMPDIR"
	loggen -f combined -n 6000 -r 20:60,150:30,20:60 -j 3 -S 5 > g.log
	for i in $(seq 1 20); do
		httpmon.sh -N --plain -w 10 -t 50 -i 1 -n 20 g.log > "plain.$i"
		httpmon.sh -N --json --metrics "prom.$i" -w 10 -t 50 -i 1 -n 20 \
		    g.log > "json.$i"
	done
	grep -q 'High traffic generated an alert' plain.1
	for k in plain json prom; do
		run -0 sh -c "sha256sum $k.* | cut -d ' ' -f 1 | sort -u | wc -l"
		# on failure, show how two runs differ
		[ "$output" = 1 ] || sha256sum "$k".* | sort | uniq -c -w 64 >&2
		assert_output 1
	done
}

# write_live LOG SECS RATE [NAMES] -- append RATE hits a second to LOG for
# SECS seconds, dated now; with NAMES, in RATE distinct sections of 190
# bytes each (large stats blocks)
write_live() {
	perl -MPOSIX=strftime -e 'my ($log, $secs, $rate, $names) = @ARGV;
	    open(my $f, ">>", $log) or die "$log: $!\n";
	    for my $s (1 .. $secs) {
		my $t = time;
		my $when = strftime("%d/%b/%Y:%H:%M:%S +0000", gmtime $t);
		my $buf = "";
		for my $h (1 .. $rate) {
			my $sec = $names ? sprintf("/%03d", $h) . ("x" x 186) : "/b";
			$buf .= "10.0.0.1 - - [$when] \"GET $sec/p HTTP/1.1\" 200 100\n";
		}
		syswrite($f, $buf);
		select(undef, undef, undef, 0.05) while time == $t;
	    }' "$@"
}

# group_leader_child PID -- the child of PID that leads a process group
group_leader_child() {
	local p
	for p in $(pgrep -P "$1"); do
		if [ "$(ps -o pgid= -p "$p" | tr -d ' ')" = "$p" ]; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

@test "httpmon.sh: a renderer stopped (SIGSTOP) holds up neither the hook nor the metrics; it catches up" {
	cd "$BATS_TEST_TMPDIR"
	local mon job viewer st=0
	mkdir tmp
	: > access.log
	TMPDIR=$PWD/tmp httpmon.sh --plain -w 10 -t 300 -i 1 -n 100 \
	    --metrics m.prom --on-alert 'touch fired' access.log > out 2> err 3>&- &
	mon=$!
	# the stages' job: the driver's child that leads its own process
	# group (the driver's other children, logguard among them, do not)
	wait_for sh -c "pgrep -P $mon > /dev/null"
	wait_for group_leader_child "$mon"
	job=$(group_leader_child "$mon")
	wait_for sh -c "pgrep -g $job -x logshow > /dev/null"
	viewer=$(pgrep -g "$job" -x logshow)
	wait_for sh -c "pgrep -g $job -x logjoin > /dev/null"
	kill -STOP "$viewer"
	# 12 s of 150 hits/s in 150 sections of 190 bytes: with -n 100,
	# about 25 KB of stats a second, far more than the pipes hold
	write_live access.log 12 150 names
	# then a burst: 4000 hits in one second, over 300/s on a 10 s window
	write_live access.log 1 4000
	wait_for test -e fired
	wait_for grep -q '^httpmon_alert 1$' m.prom
	[ "$(wc -l < out)" -lt 100 ]	# the renderer has shown next to nothing
	kill -CONT "$viewer"
	wait_for grep -q 'High traffic generated an alert' out
	run -0 grep -c 'last 1s: 150 hits' out
	[ "$output" -ge 10 ]
	kill -TERM "$mon"
	wait "$mon" || st=$?
	assert_equal "$st" 143
	wait_for sh -c "! pgrep -g $job > /dev/null"
	run ls -A tmp
	assert_output ""
}
