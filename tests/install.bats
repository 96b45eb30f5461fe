#!/usr/bin/env bats
# make install / uninstall with PREFIX and DESTDIR, and the installed
# driver running its installed stages without the source tree.

load test_helper

setup() {
	D=$BATS_TEST_TMPDIR/dest
	PROGRAMS=$(cd "$ROOT/src" && ls *.c | sed 's/\.c$//'; echo httpmon.sh)
}

# install_to PREFIX -- make install into $D; quiet unless it fails
install_to() {
	run make -s -C "$ROOT" install DESTDIR="$D" PREFIX="$1"
	assert_success
}

@test "make install puts the programs, the driver and the manuals under DESTDIR and PREFIX" {
	local p
	install_to /usr
	for p in $PROGRAMS; do
		[ -x "$D/usr/bin/$p" ] || fail "no $D/usr/bin/$p"
		[ -f "$D/usr/share/man/man1/$p.1" ] || fail "no manual for $p"
	done
	[ -f "$D/usr/share/man/man5/httpmon-records.5" ]
	[ -x "$D/usr/share/httpmon/hook-syslog" ]
	[ -x "$D/usr/share/httpmon/hook-webhook" ]
	run stat -c %a "$D/usr/bin/logalert" "$D/usr/share/man/man1/logalert.1"
	assert_output $'755\n644'
}

@test "the installed manuals are what man finds" {
	command -v man >/dev/null || skip "no man(1)"
	install_to /opt/httpmon
	run man -M "$D/opt/httpmon/share/man" -w logalert
	assert_output "$D/opt/httpmon/share/man/man1/logalert.1"
	run man -M "$D/opt/httpmon/share/man" -w 5 httpmon-records
	assert_output "$D/opt/httpmon/share/man/man5/httpmon-records.5"
}

@test "the installed driver runs the installed stages, not the source tree's" {
	install_to /usr/local
	loggen -f combined -r 4:30,15:40,2:60 > "$BATS_TEST_TMPDIR/access.log"
	run --separate-stderr "$BIN/httpmon.sh" -N -w 30 -t 8 \
	    "$BATS_TEST_TMPDIR/access.log"
	assert_success
	# alerts and stats are two streams merged: compare in sorted order
	local want
	want=$(sort <<<"$output")
	[[ $want == *'High traffic generated an alert'* ]]
	# Only the installed copy on PATH: a stage missing from it would fail.
	run --separate-stderr env PATH=/usr/bin:/bin \
	    "$D/usr/local/bin/httpmon.sh" -N -w 30 -t 8 \
	    "$BATS_TEST_TMPDIR/access.log"
	assert_success
	assert_equal "$(sort <<<"$output")" "$want"
	# Run from another folder through a symbolic link, as a packager may.
	ln -s "$D/usr/local/bin/httpmon.sh" "$BATS_TEST_TMPDIR/hm"
	cd /
	run --separate-stderr env PATH=/usr/bin:/bin "$BATS_TEST_TMPDIR/hm" \
	    -N -w 30 -t 8 "$BATS_TEST_TMPDIR/access.log"
	assert_success
	assert_equal "$(sort <<<"$output")" "$want"
}

@test "the installed driver fails, naming the stage, when a stage is missing" {
	install_to /usr
	rm "$D/usr/bin/logstats"
	loggen -f clf -n 50 > "$BATS_TEST_TMPDIR/access.log"
	run env PATH=/usr/bin:/bin "$D/usr/bin/httpmon.sh" -N \
	    "$BATS_TEST_TMPDIR/access.log"
	assert_failure
	assert_output --partial logstats
}

@test "make uninstall removes everything make install put there" {
	install_to /usr
	run make -s -C "$ROOT" uninstall DESTDIR="$D" PREFIX=/usr
	assert_success
	run find "$D" -type f
	assert_output ''
}

@test "the example hooks, systemd unit and logrotate file are installed in share/httpmon" {
	install_to /usr/local
	run ls "$D/usr/local/share/httpmon"
	assert_output $'hook-syslog\nhook-webhook\nhttpmon.default\nhttpmon.service\nlogrotate-nginx'
}

# unit_command -- the example unit's ExecStart for the tree installed in
# $D/usr/local, with the settings of httpmon.default, state in $T/state
unit_command() {
	local dir=$D/usr/local/share/httpmon
	(
		. "$dir/httpmon.default"
		sed -n '/^ExecStart=/,/[^\\]$/p' "$dir/httpmon.service" |
		    sed 's/^ExecStart=//; s/\\$//' | tr '\n' ' ' |
		    sed "s|/usr/local/|$D/usr/local/|g
			s|/var/lib/httpmon|$T/state|g
			s|\${HTTPMON_THRESHOLD}|$HTTPMON_THRESHOLD|
			s|\${HTTPMON_WINDOW}|$HTTPMON_WINDOW|
			s|\${HTTPMON_LOG}|$1|"
	)
}

@test "the example systemd unit verifies, and its command runs the installed tree" {
	T=$BATS_TEST_TMPDIR
	install_to /usr/local
	if command -v systemd-analyze >/dev/null; then
		sed "s|/usr/local/|$D/usr/local/|g" \
		    "$D/usr/local/share/httpmon/httpmon.service" > "$T/httpmon.service"
		run systemd-analyze verify --man=no "$T/httpmon.service"
		assert_success
		assert_output ''
	fi
	mkdir -p "$T/state/metrics"
	loggen -f combined -r 5:60 > "$T/access.log"
	local cmd
	cmd=$(unit_command "$T/access.log")
	[[ $cmd == *--metrics* ]]
	# as the unit runs it (the log replayed here: -N), below its threshold
	set -- $cmd
	[[ $* != *'${'* ]] || fail "not substituted: $*"
	run --separate-stderr env -i PATH=/usr/bin:/bin "$1" -N "${@:2}"
	assert_success
	assert_line --index 0 --partial 'last 10s: 50 hits'
	run grep '^httpmon_hits_total' "$T/state/metrics/httpmon.prom"
	assert_success
	[ -s "$T/state/access.state" ]
}
