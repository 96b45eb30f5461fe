#!/usr/bin/env bats
# The fleet: simulated web servers roll their hits up and publish them to
# a 3-node NATS JetStream cluster on loopback; the collector consumes,
# merges, and its alerts and stats are those of the union of the logs,
# through a node killed and restarted and a collector killed and
# restarted.  Runs wherever nats-server is installed (scripts/setup
# installs it; CI does).

load test_helper

setup_file() {
	command -v nats-server >/dev/null 2>&1 ||
	    skip "nats-server is not installed (scripts/setup installs it)"
	CLUSTER="$BATS_FILE_TMPDIR/cluster"
	URL=$("$ROOT/scripts/nats-cluster" start "$CLUSTER")
	export CLUSTER URL
}

teardown_file() {
	[ -z "${CLUSTER:-}" ] || "$ROOT/scripts/nats-cluster" stop "$CLUSTER"
}

setup() {
	cd "$BATS_TEST_TMPDIR"
	PIDS=
}

teardown() {
	local p
	for p in $PIDS; do
		kill -- "$p" 2>/dev/null || :	# -PID: a session's group
	done
	# the cluster must be whole for the next test
	"$ROOT/scripts/nats-cluster" start "$CLUSTER" >/dev/null
}

# servers -- three simulated web servers' hits (raw1..3), their rollups
# (roll1..3), the union of the hits in time order, and the rollup count
servers() {
	local i
	for i in 1 2 3; do
		loggen -S "$i" -n 6000 -r 10:60,60:30,10 | logparse > "raw$i" 2>/dev/null
		logroll -s "web$i" < "raw$i" > "roll$i"
	done
	sort -s -t "$(printf '\t')" -k2,2n raw? | grep -v '^#' > union
	ROLLUPS=$(cat roll? | grep -vc '^#')
}

# ship STREAM -- publish each server's rollups, throttled to about 4000
# lines a second so that the test can act mid-stream
ship() {
	local i
	for i in 1 2 3; do
		perl -e '$| = 1; while (<STDIN>) { print;
		    select(undef, undef, undef, 0.025) if $. % 100 == 0 }' \
		    < "roll$i" | natspub -r 3 -w 2 -S "$1" -s "$1.rollups" "$URL" \
		    2> "pub$i.err" &
		PUBS="$PUBS $!"
	done
	PIDS="$PIDS $PUBS"
}

# collect STREAM -- the consumer, appending to got (in the background)
collect() {
	natssub -d central -S "$1" -s "$1.rollups" -r 3 "$URL" >> got \
	    2>> sub.err &
	SUB=$!
	PIDS="$PIDS $SUB"
}

# distinct -- the rollups received, each (source, seq) once
distinct() {
	grep -v '^#' got | cut -f3,4 | sort -u | wc -l
}

# all_in -- wait (60 s at most) until every rollup has been received
all_in() {
	local i
	for i in $(seq 1 600); do
		[ "$(distinct)" -ge "$ROLLUPS" ] && return 0
		sleep 0.1
	done
	echo "received $(distinct) of $ROLLUPS rollups" >&2
	return 1
}

# same_as_union -- the central alerts and stats are the union's, exactly
same_as_union() {
	logmerge -n 3 -l 86400 < got > merged 2> merge.err
	[ "$(grep -c '^roll' merged)" -eq "$(cat roll? | grep -c '^roll')" ]
	logalert -t 30 -w 30 < union > expect.alerts
	# but for the fleet's health, that logalert passes on
	logalert -t 30 -w 30 < merged |
	    awk -F'\t' '$1 != "server" && $7 !~ /^silent:/' > got.alerts
	diff -u expect.alerts got.alerts >&2
	grep -q '^alert' got.alerts
	logstats -i 10 < union > expect.stats
	logstats -i 10 < merged > got.stats
	diff -u expect.stats got.stats >&2
}

# shipped_same_as_union -- when every shipper is done and every rollup
# received, stop the collector and compare with the union
shipped_same_as_union() {
	local p
	for p in $PUBS; do
		wait "$p"
	done
	all_in
	kill "$SUB"
	wait "$SUB" || :
	same_as_union
}

# leader STREAM -- the number of the node leading the stream
leader() {
	curl -s "http://127.0.0.1:$(cat "$CLUSTER/n1.http")/jsz?streams=true&accounts=true" |
	    jq -r --arg s "$1" '.account_details[].stream_detail[]? |
		select(.name == $s) | .cluster.leader' | tr -dc 0-9
}

@test "three web servers ship through the cluster: the central alerts and stats are the union's" {
	servers
	collect F1
	PUBS=
	ship F1
	shipped_same_as_union
}

@test "a node killed mid-stream and restarted, the collector killed and restarted: nothing lost or doubled" {
	servers
	collect F2
	PUBS=
	ship F2
	# mid-stream: kill the stream's leader by its PID, then bring it back
	wait_for test -s got
	n=$(leader F2)
	[ -n "$n" ] || n=2
	pid=$(cat "$CLUSTER/n$n.pid")
	kill -9 "$pid"
	wait_for gone "$pid"
	"$ROOT/scripts/nats-cluster" start "$CLUSTER" "$n" >/dev/null
	# and the collector, killed hard, then started again
	kill -9 "$SUB"
	wait "$SUB" 2>/dev/null || :
	collect F2
	shipped_same_as_union
}

@test "httpmon.sh --ship on two servers, --collect on the monitor: the alerts of the union" {
	loggen -S 1 -n 6000 -r 10:60,60:30,10 > a.log
	loggen -S 2 -n 6000 -r 10:60,60:30,10 > b.log
	logparse a.log b.log 2>/dev/null | grep -v '^#' |
	    sort -s -t "$(printf '\t')" -k2,2n | logalert -t 20 -w 30 |
	    logshow > expect
	grep -q '^Traffic recovered' expect
	run timeout 60 httpmon.sh --ship "$URL" --replicas 3 --source a -N a.log
	assert_success
	run timeout 60 httpmon.sh --ship "$URL" --replicas 3 --source b -N b.log
	assert_success
	httpmon.sh --collect "$URL" --sources 2 --late 86400 --plain \
	    -t 20 -w 30 > out 2> err &
	PIDS="$PIDS $!"
	wait_for grep -q '^Traffic recovered' out
	diff -u <(grep -E '^(High traffic|Traffic recovered)' expect) \
	    <(grep -E '^(High traffic|Traffic recovered)' out) >&2
}

# live_shipper NAME -- a live server: its empty log followed with ticks,
# rolled up and shipped to the stream health, in a session of its own
# (so that it can be killed whole); its pid, the session's, in SHIP_NAME
live_shipper() {
	: >> "$1.log"
	setsid sh -c 'logtail -T "$1.log" | logparse --ticks --live |
	    logroll -s "$1" | natspub -r 3 -S health -s health.rollups "$2"' \
	    sh "$1" "$URL" < /dev/null > /dev/null 2>> "ship-$1.err" 3>&- &
	eval "SHIP_$1=$!"
	PIDS="$PIDS -$!"
}

@test "live fleet health: a shipper killed raises the fleet alert silent:NAME through logalert's hook, restarted its recovery" {
	live_shipper web1
	live_shipper web2
	live_shipper web3
	cat > hook <<-'HOOK'
	#!/bin/sh
	echo "$HTTPMON_KIND $HTTPMON_RULE" >> hooked
	HOOK
	chmod +x hook
	setsid sh -c 'natssub -d central -S health -s health.rollups -r 3 "$1" \
	    2> sub.err | logmerge -n 3 -l 3 -r 2 2> merge.err |
	    logalert -t 1000 -w 10 --on-alert ./hook > out 2> alert.err' \
	    sh "$URL" < /dev/null 3>&- &
	PIDS="$PIDS -$!"
	# every server reported, none silent
	wait_for grep -q $'^server\t[0-9]*\tweb3\t[0-9]*\t[0-9]*\t[0-9]*\t0$' out
	grep -q $'^server\t[0-9]*\tweb1\t' out
	grep -q $'^server\t[0-9]*\tweb2\t' out
	run ! grep -q 'silent:' out
	kill -TERM -- "-$SHIP_web3"
	wait_for grep -q $'^alert\t.*\tServer web3 stopped sending - last data at [0-9T:-]*Z\tsilent:web3$' out
	wait_for grep -qx 'alert silent:web3' hooked
	run ! grep -q 'silent:web[12]' out
	live_shipper web3
	wait_for grep -q $'^recover\t.*\tServer web3 is sending again - data up to [0-9T:-]*Z\tsilent:web3$' out
	wait_for grep -qx 'recover silent:web3' hooked
	run grep -c 'silent:web[12]' out
	assert_output 0
}
