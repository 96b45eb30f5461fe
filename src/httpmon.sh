#!/usr/bin/env bash
# httpmon.sh -- watch HTTP access logs: live stats and a high-traffic alert.
#
#   follow | parse | logtee -s FIFO1 | logalert -c > FIFO2
#   logstats -c < FIFO1 > FIFO3
#   logjoin -c [-o FIFO4] FIFO2 FIFO3 | logshow       (logmetrics < FIFO4)
#
# follow is logtail on the files (live), the files one after the other
# (-N: .gz through zcat, - standard input) or natssub (--collect); parse
# is logparse, or logmerge for the fleet's rollups.  The stages run as one
# background job in a process group of their own.  SIGINT, SIGTERM or
# SIGHUP to the driver stop the source alone and let every later stage
# drain its input and finish (stop_job), so that logtail's --state never
# runs ahead of what was counted; a stage stuck past a bound is ended
# with the whole group.  The FIFOs
# live in a private mktemp -d folder removed on every exit.  On a
# terminal logview replaces logshow: it reads the merged records from a
# second FIFO and runs in the driver's own process group, the terminal's
# foreground one, so that it may read the keyboard; when it ends (q), the
# driver stops the job.  The stages' messages wait in a file meanwhile.
#
# The options are globals, set by parse_options and read-only after it;
# the run's own state is workdir, job and viewer, which the traps need.
set -u

prog=${0##*/}
version=@VERSION@
here=$(dirname -- "$(readlink -f -- "$0")")
PATH="$here:$PATH"

threshold=10 window=120 interval=10 top=5 format=auto
from_start= no_follow= state= poll= plain= json=
on_alert= hook_timeout= replay_hooks= syslog= metrics=
ship= collect= source=$(hostname 2>/dev/null || echo web)
late=10 sources=1 replicas=1
default_log=/tmp/access.log
files=("$default_log")
dashboard=
workdir= job= viewer= drainer= guard=
DRAIN_SECS=10 STOP_SECS=2	# a stop: the time to drain, then to end

usage() {
	cat <<USAGE
usage: $prog [-bhNV] [-f format] [-i interval] [-n top] [-p secs]
       [-s statefile] [-t threshold] [-w window] [--hook-timeout secs]
       [--json] [--metrics file] [--on-alert command] [--plain]
       [--replay-hooks] [--syslog]
       [--ship url [--source name] | --collect url [--late secs]
       [--sources n]] [--replicas n] [file ...]
  -t, --threshold N        alert when the average hits/s over the window
                           exceeds N (default $threshold; decimals allowed)
  -w, --window, --time_window SECS
                           alert window in seconds of log time (default $window)
  -i, --interval SECS      stats interval in seconds of log time (default $interval)
  -n, --top N              sections shown per interval (default $top)
  -f, --format FMT         auto, clf, combined or csv (default $format)
  -b, --from-start         read the files from their start, then follow them
  -N, --no-follow          read the files from start to end, in order, then exit
                           (a .gz file through zcat)
  -s, --state FILE         remember where reading stopped; resume there
  -p, --poll SECS          look at the files every SECS instead of inotify
      --plain              text output even on a terminal (no dashboard)
      --json               JSON Lines output, one object per record (no dashboard)
      --on-alert CMD       run CMD (with sh -c) for each alert and recovery,
                           detached, the event in HTTPMON_* variables
      --hook-timeout SECS  kill a hook still running after SECS (default 10)
      --syslog             also send alerts and recoveries to syslog
      --replay-hooks       run hooks and syslog for events older than 600 s too
      --metrics FILE       keep FILE up to date in the Prometheus text format
                           (for node_exporter's textfile collector)
      --ship URL           fleet: follow the log, roll it up per second and
                           publish it to NATS JetStream at URL (no display)
      --source NAME        this server's name in the fleet (default: host name)
      --collect URL        fleet: consume, merge, alert and show the rollups of
                           every server from URL instead of a log
      --late SECS          how late a server may be before the fleet clock
                           goes on without it (default $late)
      --sources N          servers the clock waits for at the start (default $sources)
      --replicas N         copies of the stream, if it must be created (default $replicas)
  -h, --help               this help;  -V, --version  the version
Short options may be bundled (-bN, -t5), long ones written --opt=value.
file defaults to ${files[0]}; - is standard input.
USAGE
}

die() {
	echo "$prog: $2" >&2
	exit "$1"
}

# option_var OPTION -- the variable OPTION sets, with = after it if
# OPTION takes a value; fails for an unknown option
option_var() {
	case $1 in
	-t|--threshold) echo threshold= ;;
	-w|--window|--time_window|--time-window) echo window= ;;
	-i|--interval) echo interval= ;;
	-n|--top) echo top= ;;
	-f|--format) echo format= ;;
	-s|--state) echo state= ;;
	-p|--poll) echo poll= ;;
	--on-alert) echo on_alert= ;;
	--hook-timeout) echo hook_timeout= ;;
	--metrics) echo metrics= ;;
	--ship) echo ship= ;;
	--collect) echo collect= ;;
	--source) echo source= ;;
	--late) echo late= ;;
	--sources) echo sources= ;;
	--replicas) echo replicas= ;;
	-b|--from-start) echo from_start ;;
	-N|--no-follow) echo no_follow ;;
	--plain) echo plain ;;
	--json) echo json ;;
	--syslog) echo syslog ;;
	--replay-hooks) echo replay_hooks ;;
	-h|--help) echo help ;;
	-V|--version) echo print_version ;;
	*) return 1 ;;
	esac
}

# parse_options ARGS... -- one grammar for every option: short ones
# bundled or not (-bN, -t5, -t 5), long ones as --opt=value or --opt value;
# the operands left are the files
parse_options() {
	local opt val var how
	while [ $# -gt 0 ]; do
		case $1 in
		--) shift; break ;;
		--*=*) opt=${1%%=*} val=${1#*=} how== ;;
		-[!-]?*) opt=${1:0:2} val=${1:2} how=bundled ;;
		-?*) opt=$1 val= how= ;;
		*) break ;;
		esac
		shift
		if ! var=$(option_var "$opt"); then
			echo "$prog: unknown option $opt" >&2
			usage >&2
			exit 64
		fi
		case $var:$how in
		*=:) [ $# -gt 0 ] || die 64 "option $opt needs a value (see $prog -h)"
			val=$1; shift ;;
		*=:*) ;;
		*:=) die 64 "option $opt takes no value (see $prog -h)" ;;
		*:bundled) set -- "-$val" "$@"; val=1 ;;
		*) val=1 ;;
		esac
		case $var in
		help) usage; exit 0 ;;
		print_version) echo "httpmon.sh $version"; exit 0 ;;
		esac
		printf -v "${var%=}" %s "$val"
	done
	[ $# -eq 0 ] || files=("$@")
}

# validate -- every option and file checked, each stage judging its own
# options on empty input, before any process, FIFO or file exists
validate() {
	local f
	check 64 alert
	check 64 stats
	check 64 logparse -f "$format"
	[ -z "$poll" ] || check 64 logtail -N -p "$poll" /dev/null
	[ -n "$ship" ] && [ -n "$collect" ] &&
	    die 64 "--ship and --collect: one or the other"
	check 64 logmerge -l "$late" -n "$sources"
	check 64 logroll -s "$source"
	case $replicas in [1-5]) ;; *) die 64 "--replicas $replicas: 1 to 5" ;; esac
	[ -z "$metrics" ] || replaceable "$metrics"
	[ -z "$state" ] || replaceable "$state"
	[ -z "$collect" ] || return 0
	[ "${files[*]}" != "$default_log" ] || suspect_log "$default_log"
	for f in "${files[@]}"; do
		case $f in
		-) [ -z "$state" ] || die 64 "--state: not with standard input"
			[ -n "$no_follow" ] || [ ${#files[@]} -eq 1 ] ||
			    die 64 "-: standard input is followed alone" ;;
		*.gz) [ -n "$no_follow" ] || die 64 "$f: compressed: replay it (-N)"
			[ -z "$state" ] || die 64 "--state: not with compressed $f" ;;
		esac
		[ -n "$no_follow" ] && [ "$f" != - ] && [ ! -r "$f" ] &&
		    die 66 "$f: $( [ -e "$f" ] && echo not readable || echo no such file)"
	done
	return 0
}

# check STATUS CMD... -- CMD on empty input; if it refuses, its message
# without its name, and exit STATUS
check() {
	local st=$1 out
	shift
	out=$("$@" </dev/null 2>&1 >/dev/null) || die "$st" "${out#*: }"
}

# replaceable FILE -- logmetrics can rename a new FILE into place: the
# folder exists and is writable, FILE is no folder (nothing is created)
replaceable() {
	local dir
	dir=$(dirname -- "$1")
	[ -d "$dir" ] || die 74 "$1: No such file or directory"
	[ ! -d "$1" ] || die 74 "$1: Is a directory"
	[ -w "$dir" ] || die 74 "$1: Permission denied"
}

# suspect_log FILE -- warn unless FILE, in a folder where anyone may
# create files, is a regular file of the user or root: a FIFO, a link
# or a file of another user there may have been planted
suspect_log() {
	local owner me
	[ -e "$1" ] || [ -L "$1" ] || return 0
	owner=$(stat -c %u -- "$1") me=$(id -u)
	if [ "$owner" != 0 ] && [ "$owner" != "$me" ]; then
		warn "$1 belongs to $(stat -c %U -- "$1"), not to you or root"
	elif [ -L "$1" ] && [ ! -e "$1" ]; then
		warn "$1 is a dangling symbolic link"
	elif [ ! -f "$1" ]; then
		warn "$1 is $(stat -L -c %F -- "$1"), not a regular file"
	fi
	return 0
}

warn() {
	echo "$prog: warning: $1" >&2
}

# alert [-s] -- logalert with the alert options; stats -- logstats with the
# statistics ones: the same commands validate() checks and stages() runs
alert() {
	logalert -t "$threshold" -w "$window" ${on_alert:+--on-alert "$on_alert"} \
	    ${hook_timeout:+--hook-timeout "$hook_timeout"} ${syslog:+--syslog} \
	    ${replay_hooks:+--replay-hooks} "$@"
}

stats() {
	logstats -i "$interval" -n "$top" "$@"
}

# follow -- the log lines: the files followed (with idle ticks), replayed
# (-N), standard input as it comes; or the fleet's rollups (--collect).
# Its process id goes to the file source: a stop ends the source alone.
follow() {
	echo "$BASHPID" > "$workdir/source"
	if [ -n "$collect" ]; then
		natssub -r "$replicas" -- "$collect"
	elif [ -n "$no_follow" ]; then
		replay "${files[@]}"
	elif [ "${files[0]}" = - ]; then
		cat
	else
		logtail --ticks ${from_start:+-b} ${poll:+-p "$poll"} \
		    ${state:+-s "$state"} -- "${files[@]}"
	fi
}

# replay FILE... -- each file from its start to its end, in the order
# given: a run of plain files through one logtail (and --state), .gz
# through zcat, - standard input; the last failure's status
replay() {
	local run=() f rval=0
	for f in "$@" ''; do
		case $f in
		-|*.gz|'')
			if [ ${#run[@]} -gt 0 ]; then
				logtail -N ${state:+-s "$state"} -- "${run[@]}" ||
				    rval=$?
				run=()
			fi ;;
		*) run+=("$f"); continue ;;
		esac
		case $f in
		-) cat || rval=$? ;;
		*.gz) zcat -- "$f" || rval=$? ;;
		esac
	done
	return "$rval"
}

# parse -- hit records from the lines, or the rollups merged on one clock
parse() {
	if [ -n "$collect" ]; then
		logmerge -l "$late" -n "$sources"
	elif [ -n "$no_follow" ]; then
		logparse -f "$format"
	else
		# live: logtail's marked ticks, and the bound on future times
		logparse -f "$format" --ticks --live
	fi
}

# follower, parser -- the programs follow and parse run, to name them;
# a replay through zcat or cat too is "replay" (zcat names the file)
follower() {
	if [ -n "$collect" ]; then echo natssub
	elif [ -n "$no_follow" ]; then
		case " ${files[*]} " in
		*" - "*|*".gz "*) echo replay ;;
		*) echo logtail ;;
		esac
	elif [ "${files[0]}" = - ]; then echo cat
	else echo logtail
	fi
}

parser() {
	if [ -n "$collect" ]; then echo logmerge; else echo logparse; fi
}

# cleanup -- the private folder removed, then the guard ended: a guard
# that outlives the driver finds no folder and leaves the stages alone
cleanup() {
	[ -n "$workdir" ] && rm -rf -- "$workdir"
	workdir=
	stop_guard
}

# start_guard -- logguard, in the job's process group: if the driver is
# killed (SIGKILL) and cannot stop the stages, it ends them and removes
# the private folder
start_guard() {
	guard=$(logguard -g "$job" "$$" "$workdir" < /dev/null > /dev/null &
	    echo $!)
}
# It is started from a command substitution, so it is no child of the
# driver: no wait of the driver's (a wait -n whose jobs were reaped waits
# for any child) can wait for it.
stop_guard() {
	[ -z "$guard" ] || kill "$guard" 2>/dev/null
	guard=
	return 0
}

# show_errors -- the stages' messages, kept while the dashboard was up
show_errors() {
	[ -n "$workdir" ] && [ -s "$workdir/errors" ] && cat -- "$workdir/errors" >&2
	return 0
}

# stop_source -- SIGTERM to the source alone (logtail, which saves its
# --state for what it has written, the replay, cat or natssub): the
# stages after it read to the end of their input and finish.  The
# source's shell is held (SIGSTOP) while its commands are signalled, so
# that a replay cannot start its next file meanwhile.  Before the source
# has said who it is, every stage is stopped at once.
stop_source() {
	local src=
	[ -r "$workdir/source" ] && read -r src < "$workdir/source"
	if [ -z "$src" ] || ! kill -STOP "$src" 2>/dev/null; then
		kill -TERM -- "-$job" 2>/dev/null
		return 0
	fi
	kill -TERM $(pgrep -P "$src") "$src" 2>/dev/null
	kill -CONT "$src" 2>/dev/null
}

# stop_job -- end the job in order: the source first, then every later
# stage drains its input and finishes (logstats reports its open
# interval, logalert saves its --state), so that a saved position never
# runs ahead of what was counted.  A stage that takes more than
# DRAIN_SECS gets SIGTERM, then SIGKILL after STOP_SECS more.
stop_job() {
	local sig secs=$DRAIN_SECS timer who
	stop_source
	for sig in TERM KILL; do
		sleep "$secs" &
		timer=$!
		secs=$STOP_SECS
		wait -n -p who "$job" "$timer" 2>/dev/null
		if [ "${who:-}" != "$timer" ]; then
			# SIGKILL: in stop_all the children ignore SIGTERM
			kill -KILL "$timer" 2>/dev/null
			wait "$timer" 2>/dev/null
			break
		fi
		kill -"$sig" -- "-$job" 2>/dev/null
	done
	wait "$job" 2>/dev/null
	job=
}

# drain_view -- the dashboard has gone: what the stages still write for
# it is read and dropped, so that they can finish (not die of SIGPIPE).
# Once only: a Ctrl-C reaches logview and the driver together, so
# stop_all may run just after run_dashboard started the drainer, and a
# second one, holding the FIFO open, would keep the last wait waiting.
drain_view() {
	[ -z "$drainer" ] || return 0
	[ -n "$dashboard" ] && [ -p "$workdir/view" ] || return 0
	exec 5<> "$workdir/view"
	cat <&5 > /dev/null 5>&- &
	drainer=$!
	exec 5>&-
}

# stop_all SIG -- a signal to the driver: stop the job in order, tidy, exit
stop_all() {
	trap '' INT TERM HUP
	[ -n "$viewer" ] && kill -TERM "$viewer" 2>/dev/null
	[ -n "$viewer" ] && wait "$viewer" 2>/dev/null
	viewer=
	[ -n "$job" ] && drain_view && stop_job
	[ -n "$drainer" ] && kill -KILL "$drainer" 2>/dev/null
	stop_guard
	wait 2>/dev/null
	show_errors
	cleanup
	exit $((128 + $1))
}

# report NAME STATUS -- say which stage failed; a stage ended by a signal
# because another one went away (SIGPIPE) or by our own stop is not news.
report() {
	case $2 in
	0|130|141|143) return 0 ;;
	esac
	echo "$prog: $1 failed (exit status $2)" >&2
	return 1
}

# shipping EXITS -- --ship: the log followed, parsed, rolled up and
# published; "name status" pairs to the file EXITS
shipping() {
	follow | parse | logroll -s "$source" | natspub -r "$replicas" -- "$ship"
	local st=("${PIPESTATUS[@]}")
	echo "$(follower) ${st[0]} $(parser) ${st[1]}" \
	    "logroll ${st[2]} natspub ${st[3]}" > "$1"
}

# stages DIR EXITS -- every stage but the renderer, the merged records on
# standard output; "name status" pairs to the file EXITS.  Live, logtee
# gives logstats a branch (DIR/records) that never holds logalert up; logalert
# and logstats write their own FIFOs with clock marks (-c), and logjoin
# merges them in one order, whatever the scheduler does, without ever
# making them wait.  With --metrics logjoin gives logmetrics a copy of its
# own (DIR/metrics), so that a renderer that stops reading does not stop
# the metrics file.  logalert writes window records (-s) for the dashboard
# and the metrics' window gauges.  The text (logshow) gets logjoin's clock
# records (-c), which end its groups whatever the reads; JSON does not.
# A replay (-N) keeps logstats' back pressure (a plain logtee output):
# nothing there is live, and a slower logstats must not fill $TMPDIR.
stages() {
	local d=$1 join_pid join_st stats_pid stats_st metrics_pid= metrics_st
	local gauges=${dashboard:-$metrics} marks=-c branch=-s
	[ -z "$json" ] || marks=
	[ -z "$no_follow" ] || branch=
	mkfifo -m 600 "$d/alerts" "$d/stats" ${metrics:+"$d/metrics"} || return 1
	stats -c < "$d/records" > "$d/stats" &
	stats_pid=$!
	if [ -n "$metrics" ]; then
		logmetrics -o "$metrics" < "$d/metrics" > /dev/null &
		metrics_pid=$!
	fi
	logjoin $marks ${metrics:+-o "$d/metrics"} -- "$d/alerts" "$d/stats" &
	join_pid=$!
	follow | parse | logtee $branch "$d/records" |
	    alert -c ${gauges:+--status} ${state:+--state "$state.alert"} \
	    > "$d/alerts"
	local st=("${PIPESTATUS[@]}")
	wait "$stats_pid"
	stats_st=$?
	wait "$join_pid"
	join_st=$?
	echo "$(follower) ${st[0]} $(parser) ${st[1]} logtee ${st[2]}" \
	    "logalert ${st[3]} logstats $stats_st logjoin $join_st" > "$2"
	if [ -n "$metrics_pid" ]; then
		wait "$metrics_pid"
		metrics_st=$?
		echo "logmetrics $metrics_st" >> "$2"
	fi
}

# render -- the merged records as text, or JSON Lines with --json
render() {
	if [ -n "$json" ]; then logjson; else logshow; fi
}

# pipeline DIR -- the stages, then the renderer, or the FIFO that logview
# reads; the FIFOs, the exit statuses and the kept messages live in DIR
pipeline() {
	if [ -n "$ship" ]; then
		shipping "$1/exits"
	elif [ -n "$dashboard" ]; then
		stages "$1" "$1/exits" > "$1/view" 2> "$1/errors"
	else
		stages "$1" "$1/exits" | render
		echo "$(renderer) ${PIPESTATUS[1]}" >> "$1/exits"
	fi
}

renderer() {
	if [ -n "$json" ]; then echo logjson; else echo logshow; fi
}

# use_dashboard -- logview, unless --plain, --json or --ship, or stdout is
# no terminal
use_dashboard() {
	[ -z "$plain$json$ship" ] && [ -t 1 ] && [ "${TERM:-dumb}" != dumb ]
}

# run_dashboard LABEL -- logview in the foreground process group until it
# ends (q, end of input, a signal), then the job stopped; logview's status
run_dashboard() {
	local st
	logview -l "$1" -w "$window" -t "$threshold" -i "$interval" \
	    < "$workdir/view" &
	viewer=$!
	wait "$viewer"
	st=$?
	# The view has ended and the stop below is bounded: a signal now (the
	# Ctrl-C that ended logview reaches the driver too) must not start
	# stop_all in the middle of it, whose waits would then wait on
	# children this one has already reaped.
	trap '' INT TERM HUP
	viewer=
	drain_view
	stop_job
	kill -KILL "$drainer" 2>/dev/null
	wait "$drainer" 2>/dev/null
	drainer=
	return "$st"
}

# label -- what the dashboard watches: the fleet's URL or the files
label() {
	if [ -n "$collect" ]; then echo "$collect"
	elif [ ${#files[@]} -eq 1 ]; then echo "${files[0]}"
	else echo "${files[0]} +$((${#files[@]} - 1))"
	fi
}

main() {
	local failed=0 st=0
	parse_options "$@"
	readonly threshold window interval top format from_start no_follow \
	    state poll plain json on_alert hook_timeout replay_hooks syslog metrics ship \
	    collect source late sources replicas files
	validate
	use_dashboard && dashboard=1
	readonly dashboard
	workdir=$(mktemp -d "${TMPDIR:-/tmp}/httpmon.XXXXXX") ||
	    die 1 "cannot make a private folder"
	trap cleanup EXIT
	trap 'stop_all 2' INT
	trap 'stop_all 15' TERM
	trap 'stop_all 1' HUP
	mkfifo -m 600 "$workdir/records" || die 1 "cannot make a FIFO"
	if [ -n "$dashboard" ]; then
		mkfifo -m 600 "$workdir/view" || die 1 "cannot make a FIFO"
	fi
	set -m
	pipeline "$workdir" &
	job=$!
	set +m
	start_guard
	if [ -n "$dashboard" ]; then
		run_dashboard "$(label)"
		st=$?
	fi
	[ -z "$job" ] || wait "$job"
	job=
	show_errors
	if [ -s "$workdir/exits" ]; then
		set -- $(cat "$workdir/exits")
		while [ $# -ge 2 ]; do
			report "$1" "$2" || failed=1
			shift 2
		done
	fi
	[ -z "$dashboard" ] || report logview "$st" || failed=1
	cleanup
	exit "$failed"
}

main "$@"
