#!/usr/bin/env bats
# logmerge: rollups of many sources, interleaved, out of order and some
# twice, merged into one stream with one clock.

load test_helper

setup() {
	cd "$BATS_TEST_TMPDIR"
}

# sources N ARGS -- raw hits of N simulated web servers (loggen seeds 1..N,
# the same start) in raw1.., their rollups in roll1.., the union of the
# hits in time order in union.
sources() {
	local n=$1 i
	shift
	for i in $(seq 1 "$n"); do
		loggen -S "$i" "$@" | logparse > "raw$i" 2>/dev/null
		logroll -s "web$i" -S $((i << 20)) < "raw$i" > "roll$i"
	done
	sort -s -t "$(printf '\t')" -k2,2n raw? | grep -v '^#' > union
}

# arrive DELAY3 -- the rollups as they would arrive live: in time order,
# web3's records DELAY3 seconds of log time after their own second.
arrive() {
	awk -F'\t' -v d="$1" '!/^#/ { t = $2 + ($3 == "web3" ? d : 0)
	    printf "%012d\t%09d\t%s\n", t, NR, $0 }' roll? | sort |
	    cut -f3-
}

# merge ARGS -- logmerge ARGS, its output but for the fleet's health
# (server records, silent:NAME alerts and recoveries); its status
merge() {
	local rc=0
	logmerge "$@" > "$BATS_TEST_TMPDIR/merged" || rc=$?
	awk -F'\t' '$1 != "server" && $7 !~ /^silent:/' "$BATS_TEST_TMPDIR/merged"
	return "$rc"
}

# same_as_union FILE PROG ARGS -- PROG on the merge of FILE and on the
# union of the raw logs give the same output (but for the fleet's health:
# server records and silent:NAME alerts, that logalert passes on).
same_as_union() {
	local file=$1
	shift
	"$@" < union > expect.out 2>/dev/null
	logmerge -n 3 $MERGE_OPTS < "$file" 2>/dev/null | "$@" 2>/dev/null |
	    awk -F'\t' '$1 != "server" && $7 !~ /^silent:/' > got.out
	diff -u expect.out got.out >&2
}

@test "three sources interleaved in chunks and duplicated: alerts and stats of the union" {
	sources 3 -n 6000 -r 10:60,60:30,10
	# chunks of 1 to 150 records from a random source, a third of some
	# chunks again: out of order between sources, duplicates
	perl -e 'srand(7); my @live = map { open my $h, "<", $_ or die; $h } @ARGV;
	    while (@live) { my $i = int(rand(@live)); my @c;
		for (1 .. 1 + int(rand(150))) { my $l = readline($live[$i]);
		    if (!defined $l) { splice(@live, $i, 1); last } push @c, $l }
		print @c; print @c[0 .. int(@c / 3)] if @c && rand() < 0.2 }' \
	    roll1 roll2 roll3 > mixed
	MERGE_OPTS="-l 86400" same_as_union mixed logalert -t 30 -w 30
	grep -q '^alert' got.out
	MERGE_OPTS="-l 86400" same_as_union mixed logstats -i 10 -g 0
	run --separate-stderr logmerge -n 3 -l 86400 mixed
	[[ "$stderr" == *"duplicate records dropped"* ]]
}

@test "records of one source out of order are waited for by sequence" {
	sources 1 -n 600 -r 10
	grep -v '^#' roll1 | awk 'NR % 50 == 1 { held = $0; next }
	    NR % 50 == 10 { print; print held; next } { print }' > swapped
	logmerge < roll1 > a 2>/dev/null
	logmerge < swapped > b 2>/dev/null
	logstats < a > sa
	logstats < b > sb
	cmp sa sb
	logstats < raw1 > sr
	cmp sr sb
}

@test "arriving live, in time order: the union, to the second" {
	sources 3 -n 6000 -r 10:60,60:30,10
	arrive 0 > live
	same_as_union live logalert -t 30 -w 30
	same_as_union live logstats -i 10 -g 0
}

@test "a host a minute late is waited for when -l allows it: the union" {
	sources 3 -n 6000 -r 10:60,60:30,10
	arrive 60 > late
	MERGE_OPTS="-l 90" same_as_union late logalert -t 30 -w 30
	MERGE_OPTS="-l 90" same_as_union late logstats -i 10 -g 0
}

@test "a host a minute late beyond -l: its hits are counted late, none lost, the others not held" {
	sources 3 -n 6000 -r 10:60,60:30,10
	arrive 60 > late
	logmerge -n 3 -l 10 < late > merged 2>/dev/null
	logstats -i 10 -g 0 < merged > got.out
	logstats -i 10 -g 0 < union > expect.out
	# the same total of hits at the end, some of them late
	[ "$(tail -n +1 got.out | awk -F'\t' '$1 == "stats" { t = $7 } END { print t }')" = \
	  "$(awk -F'\t' '$1 == "stats" { t = $7 } END { print t }' expect.out)" ]
	awk -F'\t' '$1 == "stats" { l += $15 } END { exit !(l > 0) }' got.out
	# web1's last record comes out before web3's records of the same second
	# arrive: the clock did not wait for web3
	last1=$(grep -n $'\tweb1\t' merged | tail -1 | cut -d: -f1)
	last3=$(grep -n $'\tweb3\t' merged | tail -1 | cut -d: -f1)
	[ "$last1" -lt "$last3" ]
}

@test "a host that goes silent holds the clock L seconds, then no longer" {
	sources 3 -n 6000 -r 10:60,60:30,10
	# web3 stops 100 s in (its log ends there)
	start=$(head -1 union | cut -f2)
	awk -F'\t' -v s="$start" '/^#/ || $2 < s + 100' roll3 > roll3.cut
	mv roll3.cut roll3
	awk -F'\t' -v s="$start" '$3 != "web3" || $2 < s + 100' union > u
	sort -s -t "$(printf '\t')" -k2,2n raw1 raw2 \
	    <(awk -F'\t' -v s="$start" '$2 < s + 100' raw3) | grep -v '^#' > union
	arrive 0 > live
	same_as_union live logalert -t 20 -w 30
	same_as_union live logstats -i 10 -g 0
	# ticks go on to the end of web1 and web2: the clock was not stalled
	end=$(tail -1 union | cut -f2)
	[ "$(logmerge -n 3 < live 2>/dev/null | grep '^tick' | tail -1)" = "$(printf 'tick\t%s' "$end")" ]
}

@test "while a busy host is only slow (under -l), the fleet alert does not recover" {
	# web3 carries the burst and lags 20 s: with -l 30 the clock waits
	# for it and the alerts are the union's; with -l 5 they are not
	sources 3 -n 4000 -r 10:60,60:30,10
	arrive 20 > slow
	MERGE_OPTS="-l 30" same_as_union slow logalert -t 30 -w 30
	run ! env MERGE_OPTS="-l 5" bash -c "$(declare -f same_as_union); same_as_union slow logalert -t 30 -w 30"
}

@test "without -n, a source seen after the clock passed its second is late; -n waits for it" {
	printf 'roll\t100\ta\t0\t/\tGET\t200\t5\t0\nroll\t105\ta\t1\t/\tGET\t200\t5\t0\nroll\t101\tb\t0\t/\tGET\t200\t7\t0\nroll\t106\tb\t1\t/\tGET\t200\t1\t0\n' > in
	run --separate-stderr merge -l 10 in
	assert_output "$(printf '#httpmon-records 1\nroll\t100\ta\t0\t/\tGET\t200\t5\t0\ntick\t100\nroll\t105\ta\t1\t/\tGET\t200\t5\t0\ntick\t105\nroll\t101\tb\t0\t/\tGET\t200\t7\t0\nroll\t106\tb\t1\t/\tGET\t200\t1\t0\ntick\t106')"
	[[ "$stderr" == *"1 record came after the clock had passed their second"* ]]
	run merge -l 10 -n 2 in
	assert_output "$(printf '#httpmon-records 1\nroll\t100\ta\t0\t/\tGET\t200\t5\t0\nroll\t101\tb\t0\t/\tGET\t200\t7\t0\ntick\t101\nroll\t105\ta\t1\t/\tGET\t200\t5\t0\ntick\t105\nroll\t106\tb\t1\t/\tGET\t200\t1\t0\ntick\t106')"
}

@test "a duplicate is dropped by (source, seq); a rolltick moves the clock and is not written" {
	printf 'roll\t100\ta\t0\t/\tGET\t200\t5\t0\nroll\t100\ta\t0\t/\tGET\t200\t5\t0\nrolltick\t103\ta\t1\nroll\t100\tb\t0\t/\tGET\t200\t5\t0\n' > in
	run --separate-stderr merge in
	assert_output "$(printf '#httpmon-records 1\nroll\t100\ta\t0\t/\tGET\t200\t5\t0\ntick\t100\ntick\t103\nroll\t100\tb\t0\t/\tGET\t200\t5\t0')"
	[[ "$stderr" == *"1 duplicate record dropped"* ]]
}

@test "a gap in a source's sequence is given up after L seconds, and said" {
	printf 'roll\t100\ta\t0\t/\tGET\t200\t5\t0\nroll\t101\ta\t2\t/\tGET\t200\t5\t0\nroll\t112\ta\t3\t/\tGET\t200\t5\t0\n' > in
	run --separate-stderr merge -l 10 in
	assert_output "$(printf '#httpmon-records 1\nroll\t100\ta\t0\t/\tGET\t200\t5\t0\ntick\t100\nroll\t101\ta\t2\t/\tGET\t200\t5\t0\nroll\t112\ta\t3\t/\tGET\t200\t5\t0\ntick\t112')"
	[[ "$stderr" == *"a: records 1 to 1 missing for 10 s, going on without them"* ]]
}

@test "a record that is not a rollup is bad input, counted, not fatal" {
	run --separate-stderr sh -c 'printf "hit\t1\nroll\t5\ta\t0\t/\tGET\t200\t1\t0\n" | logmerge'
	assert_success
	assert_output "$(printf '#httpmon-records 1\nroll\t5\ta\t0\t/\tGET\t200\t1\t0\ntick\t5')"
	[[ "$stderr" == *"stdin:1: not a rollup record: hit"* ]]
}

@test "-h, -V and bad options" {
	run logmerge -h
	assert_success
	assert_output --partial "usage: logmerge [-hV] [-l secs] [-n sources] [-r secs] [file ...]"
	run logmerge -V
	assert_output "logmerge 0.1.0"
	run logmerge -l -1
	assert_failure 64
	run logmerge -n 0
	assert_failure 64
}

@test "a source name with an escaped control byte passes on escaped, unchanged" {
	run --separate-stderr logmerge -n 1 <<<$'roll\t100\tev\\x1b[31mil\t1048576\t/a\tGET\t200\t3\t30'
	assert_success
	assert_line --index 1 $'roll\t100\tev\\x1b[31mil\t1048576\t/a\tGET\t200\t3\t30'
	refute_output --partial $'\x1b'
}

# two_sources [FORGED...] -- sources a and b, seconds 1000 to 1009, the
# FORGED lines after second 1003
two_sources() {
	local i
	for i in 0 1 2 3 4 5 6 7 8 9; do
		printf 'roll\t%d\ta\t%d\t/\tGET\t200\t5\t0\n' $((1000 + i)) "$i"
		printf 'roll\t%d\tb\t%d\t/\tGET\t200\t5\t0\n' $((1000 + i)) "$i"
		[ "$i" -ne 3 ] || printf '%s\n' "$@"
	done
}

@test "a forged roll record far ahead moves no clock: bad, in the future or a jump not confirmed" {
	two_sources > clean
	two_sources $'roll\t4102444800\tb\t4\t/\tGET\t200\t5\t0' \
	    $'roll\t90000\tevil\t0\t/\tGET\t200\t5\t0' \
	    $'rolltick\t90000\ta\t4' > forged
	logmerge -n 2 clean > want 2>/dev/null
	run --separate-stderr logmerge -n 2 forged
	assert_success
	diff -u want <(printf '%s\n' "$output") >&2
	[[ $stderr == *'forged:9: time in the future'* ]]
	[[ $stderr == *'forged:10: time jump not confirmed'* ]]
	[[ $stderr == *'forged:11: time jump not confirmed'* ]]
}

@test "a source's jump that its next records confirm moves the fleet clock" {
	printf 'roll\t1000\ta\t0\t/\tGET\t200\t5\t0\nroll\t9000\ta\t1\t/\tGET\t200\t5\t0\nroll\t9001\ta\t2\t/\tGET\t200\t5\t0\nroll\t9002\ta\t3\t/\tGET\t200\t5\t0\n' > in
	run --separate-stderr merge in
	assert_success
	assert_output "$(printf '#httpmon-records 1\nroll\t1000\ta\t0\t/\tGET\t200\t5\t0\ntick\t1000\nroll\t9000\ta\t1\t/\tGET\t200\t5\t0\ntick\t9000\nroll\t9001\ta\t2\t/\tGET\t200\t5\t0\ntick\t9001\nroll\t9002\ta\t3\t/\tGET\t200\t5\t0\ntick\t9002')"
	[ -z "$stderr" ]
}

@test "100,000 sources: the fleet clock costs O(log n) per record, not a walk of every source" {
	# three seconds, each source once a second: every record moves one
	# source's LATEST.  A walk of every source for each took minutes.
	perl -e '$t = time - 600; for $s (0 .. 2) { for $i (1 .. 100000) {
	    print "roll\t", $t + $s, "\tsrc$i\t$s\t/\tGET\t200\t1\t100\n" } }' > many
	run --separate-stderr timeout 60 logmerge -n 100000 many
	assert_success
	[ "$(grep -c '^roll' <<< "$output")" -eq 300000 ]
	# the clock waited for all 100,000, then ran: ticks in order
	grep '^tick' <<< "$output" | cut -f2 | sort -c -n
	[ "$(grep -c '^tick' <<< "$output")" -ge 1 ]
}

@test "a raw control byte in a source name reaches the warnings escaped as in a record" {
	local src=$'ev\x1b[31mil\a'
	# a gap given up on, then a jump to a new run: both warnings name it
	printf 'roll\t%d\t%s\t%d\t/a\tGET\t200\t3\t30\n' \
	    100 "$src" 0  111 "$src" 3  112 "$src" 4194304 > forged
	run --separate-stderr logmerge -l 10 forged
	assert_success
	[[ "$stderr" == *'ev\x1b[31mil\x07: records 1 to 2 missing'* ]]
	[[ "$stderr" == *'ev\x1b[31mil\x07: sequence jumped'* ]]
	[[ "$stderr" != *$'\x1b'* ]]
	[[ "$stderr" != *$'\a'* ]]
}

# ticking SOURCE FROM TO [SEQ] -- a rolltick a second of SOURCE, FROM to TO
ticking() {
	local t seq=${4:-0}
	for ((t = $2; t <= $3; t++)); do
		printf 'rolltick\t%d\t%s\t%d\n' "$t" "$1" $((seq++))
	done
}

@test "a source silent for longer than -l raises an alert silent:NAME on the fleet clock, and its recovery when it sends again" {
	{
		printf 'roll\t100\tb\t0\t/\tGET\t200\t7\t0\n'
		ticking a 100 124
		printf 'roll\t125\tb\t1\t/\tGET\t200\t3\t0\n'
		ticking a 125 130 25
	} > in
	# b's last data: 100; a's ticks move FRONT; 106 - 100 > 5
	run --separate-stderr logmerge -l 5 -r 10 in
	assert_success
	assert_line $'alert\t106\t0\t0\t0\tServer b stopped sending - last data at 1970-01-01T00:01:40Z\tsilent:b'
	assert_line $'server\t106\tb\t100\t6\t0\t6'
	assert_line $'recover\t125\t0\t0\t0\tServer b is sending again - data up to 1970-01-01T00:02:05Z\tsilent:b'
	assert_line $'server\t125\tb\t125\t0\t3\t0'
	assert_line $'server\t120\tb\t100\t20\t0\t20'
	run grep -c 'silent:b' <<<"$output"
	assert_output 2
}

@test "server records: each source's LATEST, lag, hits and silence, when the clock crosses a multiple of -r" {
	{
		printf 'roll\t100\ta\t0\t/\tGET\t200\t4\t0\nroll\t100\tb\t0\t/\tGET\t200\t2\t0\n'
		printf 'roll\t101\ta\t1\t/\tGET\t200\t5\t0\n'
		printf 'roll\t103\ta\t2\t/\tGET\t200\t1\t0\nroll\t103\tb\t1\t/\tGET\t200\t1\t0\n'
	} > in
	run --separate-stderr logmerge -n 2 -l 10 -r 2 in
	assert_success
	run grep '^server' <<<"$output"
	# the clock: 90 (a alone: FRONT - L), 100 (both seen), then 103;
	# a's 101 was taken by then
	assert_output "$(printf 'server\t90\ta\t100\t0\t4\t0\nserver\t100\ta\t100\t0\t0\t0\nserver\t100\tb\t100\t0\t2\t0\nserver\t103\ta\t103\t0\t6\t0\nserver\t103\tb\t103\t0\t1\t0')"
}

@test "a whole fleet gone silent is noticed on the wall clock while the input waits, and each server recovers when it sends" {
	mkfifo fifo
	logmerge -l 1 < fifo > out 2> err 3>&- &
	local pid=$! now
	exec 5> fifo
	now=$(date +%s)
	paste -d '\n' <(ticking a $((now - 2)) "$now") \
	    <(ticking b $((now - 2)) "$now") >&5
	wait_for grep -q $'\tsilent:a$' out
	wait_for grep -q $'\tsilent:b$' out
	grep -q $'^alert\t.*Server a stopped sending - last data at ' out
	now=$(date +%s)
	ticking a "$now" "$now" 3 >&5
	wait_for grep -q $'^recover\t.*\tsilent:a$' out
	exec 5>&-
	wait "$pid"
	run grep -c $'^recover\t' out
	assert_output 1
}
