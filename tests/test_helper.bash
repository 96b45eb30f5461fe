# test_helper.bash -- loaded by every test: assertions, the programs
# under test on PATH (bin/, or the sanitizer build in $HTTPMON_BIN).

bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

ROOT="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
BIN="${HTTPMON_BIN:-$ROOT/bin}"
FIXTURES="$BATS_TEST_DIRNAME/fixtures"
PATH="$BIN:$ROOT/bin:$PATH"
export ROOT BIN FIXTURES PATH
# Sanitizers: fail loudly on the first error, no leak noise from exit paths.
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$ROOT/tests/lsan.supp}"

# fixture_out PROG FIXTURE_DIR NAME [ARGS...] -- run PROG on DIR/NAME.in and
# compare its stdout with DIR/NAME.out exactly.
fixture_test() {
	local prog=$1 dir=$2 name=$3
	shift 3
	run --separate-stderr "$prog" "$@" < "$FIXTURES/$dir/$name.in"
	assert_success
	diff -u "$FIXTURES/$dir/$name.out" <(printf '%s\n' "$output") >&2
}

# wait_for CMD... -- retry CMD for up to 20 s (generous: shared machines).
wait_for() {
	local i
	for i in $(seq 1 200); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

# gone PID -- the process has ended (a zombie not yet reaped by init counts)
gone() {
	! kill -0 "$1" 2>/dev/null || [[ $(ps -o stat= -p "$1") == Z* ]]
}

# slow_pipe FILE -- write FILE to stdout in chunks of 1 to 61 bytes with a
# pause every 40 chunks, so that the reader at the other end of the pipe
# sees lines and records split across its reads at ever different places.
slow_pipe() {
	perl -e 'open(my $f, "<", $ARGV[0]) or die "$ARGV[0]: $!\n";
	    binmode $f; my $n = 0;
	    while (read($f, my $b, 1 + $n % 61)) {
		syswrite(STDOUT, $b) == length($b) or die "write: $!\n";
		select(undef, undef, undef, 0.0005) if ++$n % 40 == 0;
	    }' "$1"
}
export -f slow_pipe
