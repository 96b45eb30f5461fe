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
# their type's, then "LINES BAD"
whole_records() {
	awk -F '\t' 'BEGIN { n["alert"] = n["recover"] = n["window"] = 6
	    n["stats"] = 16; n["section"] = 8; n["method"] = 4; n["clock"] = 2 }
	    /^#/ { next }
	    !($1 in n) || NF != n[$1] { bad++; print "split: " $0 }
	    END { print NR, bad + 0 }'
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

@test "logalert -c and logstats -c mark each move of log time before what it produced" {
	cd "$BATS_TEST_TMPDIR"
	printf 'hit\t100\t-\t-\t-\t-\t-\t200\t0\t-\t-\n%.0s' 1 2 > in.rec
	printf 'hit\t102\t-\t-\t-\t-\t-\t200\t0\t-\t-\ntick\t105\n' >> in.rec
	run -0 logalert -c -w 2 -t 0.5 in.rec
	assert_output "$(printf '%s\n' '#httpmon-records 1' 'clock	100' \
	    'clock	102' 'alert	101	2	1.00	0.5	High traffic generated an alert - hits = 2, triggered at 1970-01-01T00:01:41Z' \
	    'clock	105' 'recover	103	1	0.50	0.5	Traffic recovered - hits = 1, recovered at 1970-01-01T00:01:43Z')"
	run -0 sh -c 'logstats -c -i 2 in.rec | cut -f 1,2'
	assert_output "$(printf '%s\n' 'clock	100' 'clock	102' 'clock	105' \
	    'stats	102' 'section	102' 'method	102' 'stats	104' 'section	104' \
	    'method	104' 'stats	106')"
}

@test "logjoin: by epoch, then by input, then as in the input; clocks and headers not passed on" {
	cd "$BATS_TEST_TMPDIR"
	printf '#httpmon-records 1\nclock\t100\nclock\t102\na1\nclock\t105\na2\n' > a
	printf '#httpmon-records 1\nb0\nclock\t100\nb1\nclock\t102\nb2\nb3\nclock\t106\nb4\n' > b
	run -0 logjoin a b
	assert_output "$(printf '%s\n' '#httpmon-records 1' b0 b1 a1 b2 b3 a2 b4)"
	run -0 logjoin b a
	assert_output "$(printf '%s\n' '#httpmon-records 1' b0 b1 b2 b3 a1 a2 b4)"
}

@test "logjoin: a bad clock is reported and skipped; -h, -V, no input" {
	cd "$BATS_TEST_TMPDIR"
	printf 'clock\tsoon\nx\n' > a
	run -0 --separate-stderr logjoin a
	assert_output "$(printf '%s\n' '#httpmon-records 1' x)"
	[[ $stderr == *"a:1: clock: bad time"* ]] || fail "$stderr"
	run -0 logjoin -h
	assert_output 'usage: logjoin [-hV] [-m kib] [-o file] file ...'
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
