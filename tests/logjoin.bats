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
