#!/usr/bin/env bats
# Every program and the driver: a manual clean under mandoc's lint, -h and
# -V/--version; the record format's manual too.

load test_helper

setup() {
	VERSION=$(cat "$ROOT/VERSION")
	PROGRAMS=$(cd "$ROOT/src" && ls *.c | sed 's/\.c$//'; echo httpmon.sh)
}

# The manuals as built (obj/man: man/ stamped with the version) are
# the ones installed and linted.
@test "every manual is clean under mandoc -T lint -W warning" {
	local f n=0
	for f in "$ROOT"/obj/man/*.[0-9]; do
		run mandoc -T lint -W warning "$f"
		assert_success
		assert_output ''
		n=$((n + 1))
	done
	[ "$n" -ge 8 ]
}

@test "every built manual carries the version" {
	local f
	for f in "$ROOT"/man/*.[0-9]; do
		run grep -c "^\.Os httpmon $VERSION\$" "$ROOT/obj/man/${f##*/}"
		assert_output 1
	done
}

@test "every program and the driver has a manual in section 1" {
	local p
	for p in $PROGRAMS; do
		[ -f "$ROOT/man/$p.1" ] || fail "no man/$p.1"
		run grep -c "^\.Dt $(echo "$p" | tr a-z A-Z) 1\$" "$ROOT/man/$p.1"
		assert_output 1
	done
}

@test "the record format has its manual in section 5" {
	run mandoc -T ascii "$ROOT/man/httpmon-records.5"
	assert_success
	assert_line --partial 'httpmon-records'
}

@test "every program prints a usage with -h and exits 0" {
	local p
	for p in $PROGRAMS; do
		run --separate-stderr "$BIN/$p" -h
		assert_success
		[[ ${lines[0]} == "usage: $p "* ]] || fail "$p -h: ${lines[0]}"
		assert_equal "$stderr" ''
	done
}

@test "every program prints its name and version with -V and --version" {
	local p
	for p in $PROGRAMS; do
		run "$BIN/$p" -V
		assert_success
		assert_output "$p $VERSION"
		run "$BIN/$p" --version
		assert_success
		assert_output "$p $VERSION"
	done
}

@test "every program exits 64 on an unknown option" {
	local p
	for p in $PROGRAMS; do
		run -64 --separate-stderr "$BIN/$p" --no-such-option
		[[ $stderr == *usage:* ]] || fail "$p: no usage on stderr"
	done
}
