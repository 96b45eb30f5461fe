#!/usr/bin/env bats
# natspub and natssub with no NATS server to talk to: they say which
# server does not answer and why, retry with backoff, obey every stop
# signal in every state, and refuse a malformed URL at start.  The tests
# with a live server start one nats-server on loopback (scripts/setup
# installs it; CI does).

load test_helper

setup() {
	cd "$BATS_TEST_TMPDIR"
	PIDS=
	# an input that never ends and holds no process: a FIFO this shell
	# keeps open for writing
	mkfifo in
	exec 4<>in
}

teardown() {
	local p
	for p in $PIDS; do
		kill "$p" 2>/dev/null || continue
		ends_within 5 "$p" || kill -9 "$p" 2>/dev/null || :
		wait "$p" 2>/dev/null || :
	done
	exec 4>&-
}

# free_port -- a TCP port on loopback that nothing listens on (now)
free_port() {
	perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(Listen => 1,
	    LocalAddr => "127.0.0.1", LocalPort => 0)->sockport, "\n"'
}

# server PORT -- a JetStream server on loopback PORT, ready
server() {
	command -v nats-server >/dev/null 2>&1 ||
	    skip "nats-server is not installed (scripts/setup installs it)"
	nats-server -a 127.0.0.1 -p "$1" -js -sd "$BATS_TEST_TMPDIR/js" \
	    </dev/null >server.log 2>&1 &
	PIDS="$PIDS $!"
	wait_for perl -MIO::Socket::INET -e \
	    'IO::Socket::INET->new(PeerAddr => "127.0.0.1:$ARGV[0]") or exit 1' "$1"
}

# ends_within SECS PID -- PID is gone within SECS seconds (polled)
ends_within() {
	local i
	for i in $(seq 1 $(($1 * 10))); do
		gone "$2" && return 0
		sleep 0.1
	done
	gone "$2"
}

# stops_when_refused PROG SIG -- PROG, with nothing listening at its URL,
# says so naming the URL and the reason, then ends promptly on SIG
stops_when_refused() {
	local prog=$1 sig=$2 port pid
	port=$(free_port)
	"$prog" "nats://127.0.0.1:$port" < in 2> err &
	pid=$!
	PIDS="$PIDS $pid"
	wait_for grep -q "nats://127.0.0.1:$port: Connection refused" err
	grep -q 'retrying in' err
	kill "-$sig" "$pid"
	ends_within 5 "$pid"
	grep -q 'stopped before a NATS server answered' err
}

@test "natspub, no server: says which and why, then SIGTERM, SIGINT, SIGHUP end it within seconds" {
	stops_when_refused natspub TERM
	stops_when_refused natspub INT
	stops_when_refused natspub HUP
}

@test "natssub, no server: says which and why, then SIGTERM, SIGINT, SIGHUP end it within seconds" {
	stops_when_refused natssub TERM
	stops_when_refused natssub INT
	stops_when_refused natssub HUP
}

@test "the connect failure is said at once with the pause before the next try, not at every try" {
	local port pid n
	port=$(free_port)
	natssub "nats://127.0.0.1:$port" 2> err &
	pid=$!
	PIDS="$PIDS $pid"
	# the first try is said at once; the next after 10 s at the earliest
	wait_for grep -q '(1 try), retrying in 250 ms' err
	n=$(grep -c 'cannot connect' err)
	[ "$n" -eq 1 ]
	kill "$pid"
	ends_within 5 "$pid"
}

@test "a malformed URL is a usage error at start, named" {
	local u
	for u in nats://127.0.0.1:99999 nats://:4222 'http://x:4222' \
	    'nats://a b' 'nats://[::1' 'nats://127.0.0.1:1,nats://h:0'; do
		# (the KILL: a program that tries to connect hangs no test)
		run -64 --separate-stderr timeout -s KILL 10 natspub "$u" \
		    < /dev/null
		[[ "$stderr" == *"nats://"* || "$stderr" == *"http://"* ]]
		run -64 --separate-stderr timeout -s KILL 10 natssub "$u"
	done
	run -64 --separate-stderr natspub ,
	assert_equal "$stderr" "natspub: no NATS server URL"
}

@test "a server that comes up late: natspub retries, connects and publishes; natssub gets it" {
	local port pid
	port=$(free_port)
	(printf 'one\ntwo\n' | natspub "nats://127.0.0.1:$port" 2> err) &
	pid=$!
	PIDS="$PIDS $pid"
	wait_for grep -q 'Connection refused' err
	server "$port"
	wait_for gone "$pid"
	wait "$pid"
	grep -q 'connected to NATS after' err
	natssub "nats://127.0.0.1:$port" > got 2> sub.err &
	pid=$!
	PIDS="$PIDS $pid"
	wait_for grep -qx two got
	kill "$pid"
	wait "$pid"
}

@test "connected: the library's threads block the stop signals, and a stop ends natspub and natssub within seconds" {
	local port pub sub t blk
	port=$(free_port)
	server "$port"
	natspub "nats://127.0.0.1:$port" < in 2> pub.err &
	pub=$!
	natssub "nats://127.0.0.1:$port" > got 2> sub.err &
	sub=$!
	PIDS="$PIDS $pub $sub"
	echo hello >&4
	wait_for grep -qx hello got
	for p in "$pub" "$sub"; do
		for t in /proc/"$p"/task/*; do
			[ "${t##*/}" != "$p" ] || continue
			blk=$(awk '/^SigBlk/ { print $2 }' "$t/status")
			# SIGHUP 1, SIGINT 2, SIGTERM 15: bits 0x4003
			(( (0x$blk & 0x4003) == 0x4003 ))
		done
	done
	kill -TERM "$pub"
	kill -TERM "$sub"
	ends_within 5 "$pub"
	ends_within 5 "$sub"
}

# running URL -- a process with URL on its command line is running
running() {
	pgrep -f -- "$1" > /dev/null
}

@test "httpmon.sh --ship or --collect to a dead URL: said within seconds, and SIGTERM leaves no process" {
	local port url pid mode
	port=$(free_port)
	url="nats://127.0.0.1:$port"
	: > access.log
	for mode in --collect --ship; do
		httpmon.sh --plain "$mode" "$url" access.log > out 2> err &
		pid=$!
		PIDS="$PIDS $pid"
		wait_for grep -q "$url: Connection refused" err
		kill -TERM "$pid"
		# the driver drains its stages first (10 s), then stops them
		wait_for eval '! running "$url"'
		wait "$pid" || :
	done
}
