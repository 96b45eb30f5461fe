#!/usr/bin/env bash
# httpmon.sh -- watch an HTTP access log: live stats and a high-traffic alert.
#
#   logtail FILE | logparse | logtee FIFO | logalert  \
#                                   FIFO -> logstats  }-> logshow -> stdout
#
# The stages run as one background job in a process group of their own, so
# that SIGINT, SIGTERM or SIGHUP to the driver can stop every one of them at
# once; the FIFO lives in a private mktemp -d folder removed on every exit.
# On a terminal logview replaces logshow: it reads the merged records from
# a second FIFO and runs in the driver's own process group, the terminal's
# foreground one, so that it may read the keyboard; when it ends (q), the
# driver stops the job.  The stages' messages wait in a file meanwhile.
set -u

prog=${0##*/}
version=@VERSION@
here=$(dirname -- "$(readlink -f -- "$0")")
PATH="$here:$PATH"

threshold=10
window=120
interval=10
top=5
format=auto
from_start=
no_follow=
state=
poll=
file=/tmp/access.log
plain=
on_alert=
alert_opts=()
hook_timeout=
syslog=
metrics=
json=
renderer=logshow
dashboard=
workdir=
job=
viewer=
ship=
collect=
source=$(hostname 2>/dev/null || echo web)
late=10
sources=1
replicas=1

usage() {
	cat <<USAGE
usage: $prog [-bhNV] [-f format] [-i interval] [-n top] [-p secs]
       [-s statefile] [-t threshold] [-w window] [--hook-timeout secs]
       [--json] [--metrics file] [--on-alert command] [--plain] [--syslog]
       [--ship url [--source name] | --collect url [--late secs]
       [--sources n]] [--replicas n] [file]
  -t, --threshold N        alert when the average hits/s over the window
                           exceeds N (default $threshold; decimals allowed)
  -w, --window, --time_window SECS
                           alert window in seconds of log time (default $window)
  -i, --interval SECS      stats interval in seconds of log time (default $interval)
  -n, --top N              sections shown per interval (default $top)
  -f, --format FMT         auto, clf, combined or csv (default $format)
  -b, --from-start         read the file from its start, then follow it
  -N, --no-follow          read the file from its start to its end, then exit
  -s, --state FILE         remember where reading stopped; resume there
  -p, --poll SECS          look at the file every SECS instead of inotify
      --plain              text output even on a terminal (no dashboard)
      --json               JSON Lines output, one object per record (no dashboard)
      --on-alert CMD       run CMD (with sh -c) for each alert and recovery,
                           detached, the event in HTTPMON_* variables
      --hook-timeout SECS  kill a hook still running after SECS (default 10)
      --syslog             also send alerts and recoveries to syslog
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
file defaults to $file.
USAGE
}

die() {
	echo "$prog: $2" >&2
	exit "$1"
}

# need_arg OPTION VALUE -- an option that takes a value got one
need_arg() {
	[ -n "${2+x}" ] || die 64 "option $1 needs a value (see $prog -h)"
}

parse_options() {
	while [ $# -gt 0 ]; do
		case $1 in
		-t|--threshold) need_arg "$@"; threshold=$2; shift ;;
		--threshold=*) threshold=${1#*=} ;;
		-w|--window|--time_window|--time-window) need_arg "$@"; window=$2; shift ;;
		--window=*|--time_window=*|--time-window=*) window=${1#*=} ;;
		-i|--interval) need_arg "$@"; interval=$2; shift ;;
		--interval=*) interval=${1#*=} ;;
		-n|--top) need_arg "$@"; top=$2; shift ;;
		--top=*) top=${1#*=} ;;
		-f|--format) need_arg "$@"; format=$2; shift ;;
		--format=*) format=${1#*=} ;;
		-s|--state) need_arg "$@"; state=$2; shift ;;
		--state=*) state=${1#*=} ;;
		-p|--poll) need_arg "$@"; poll=$2; shift ;;
		--poll=*) poll=${1#*=} ;;
		-b|--from-start) from_start=1 ;;
		-N|--no-follow) no_follow=1 ;;
		--plain) plain=1 ;;
		--on-alert) need_arg "$@"; on_alert=$2; shift ;;
		--on-alert=*) on_alert=${1#*=} ;;
		--hook-timeout) need_arg "$@"; hook_timeout=$2; shift ;;
		--hook-timeout=*) hook_timeout=${1#*=} ;;
		--syslog) syslog=1 ;;
		--json) json=1 renderer=logjson ;;
		--metrics) need_arg "$@"; metrics=$2; shift ;;
		--metrics=*) metrics=${1#*=} ;;
		--ship) need_arg "$@"; ship=$2; shift ;;
		--collect) need_arg "$@"; collect=$2; shift ;;
		--source) need_arg "$@"; source=$2; shift ;;
		--late) need_arg "$@"; late=$2; shift ;;
		--sources) need_arg "$@"; sources=$2; shift ;;
		--replicas) need_arg "$@"; replicas=$2; shift ;;
		-h|--help) usage; exit 0 ;;
		-V|--version) echo "httpmon.sh $version"; exit 0 ;;
		--) shift; break ;;
		-?*) echo "$prog: unknown option $1" >&2; usage >&2; exit 64 ;;
		*) break ;;
		esac
		shift
	done
	[ $# -le 1 ] || die 64 "one file at most (see $prog -h)"
	[ $# -eq 0 ] || file=$1
}

# alert_options -- logalert's options for hooks and syslog, in alert_opts
alert_options() {
	alert_opts=()
	[ -n "$on_alert" ] && alert_opts+=(--on-alert "$on_alert")
	[ -n "$hook_timeout" ] && alert_opts+=(--hook-timeout "$hook_timeout")
	[ -n "$syslog" ] && alert_opts+=(--syslog)
	return 0
}

# check_options -- fail early with the stage's own message, before any
# process or FIFO exists: each stage validates its options the same way.
check_options() {
	local out
	alert_options
	out=$(logalert -t "$threshold" -w "$window" "${alert_opts[@]}" \
	    </dev/null 2>&1 >/dev/null) || die 64 "${out#logalert: }"
	out=$(logstats -i "$interval" -n "$top" </dev/null 2>&1 >/dev/null) ||
	    die 64 "${out#logstats: }"
	out=$(logparse -f "$format" </dev/null 2>&1 >/dev/null) ||
	    die 64 "${out#logparse: }"
	if [ -n "$metrics" ]; then
		out=$(logmetrics -o "$metrics" </dev/null 2>&1 >/dev/null) ||
		    die "$?" "${out#logmetrics: }"
	fi
	if [ -n "$poll" ]; then
		out=$(logtail -N -p "$poll" /dev/null 2>&1 >/dev/null) ||
		    die 64 "${out#logtail: }"
	fi
	[ -n "$ship" ] && [ -n "$collect" ] &&
	    die 64 "--ship and --collect: one or the other"
	out=$(logmerge -l "$late" -n "$sources" </dev/null 2>&1 >/dev/null) ||
	    die 64 "${out#logmerge: }"
	out=$(logroll -s "$source" </dev/null 2>&1 >/dev/null) ||
	    die 64 "${out#logroll: }"
	case $replicas in [1-5]) ;; *) die 64 "--replicas $replicas: 1 to 5" ;; esac
	if [ -n "$no_follow" ] && [ -z "$collect" ] && [ ! -r "$file" ]; then
		[ -e "$file" ] && die 66 "$file: not readable"
		die 66 "$file: no such file"
	fi
}

cleanup() {
	[ -n "$workdir" ] && rm -rf -- "$workdir"
	workdir=
}

# show_errors -- the stages' messages, kept while the dashboard was up
show_errors() {
	[ -n "$workdir" ] && [ -s "$workdir/errors" ] && cat -- "$workdir/errors" >&2
	return 0
}

# stop_all SIG -- a signal to the driver: stop every stage, tidy, exit
stop_all() {
	trap '' INT TERM HUP
	[ -n "$job" ] && kill -TERM -- "-$job" 2>/dev/null
	[ -n "$viewer" ] && kill -TERM "$viewer" 2>/dev/null
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

# source_stages -- the first two stages, in src1 and src2: the log
# followed and parsed, or (--collect) the fleet's rollups, merged
source_stages() {
	local tail_opts=() parse_opts=()
	if [ -n "$collect" ]; then
		src1=(natssub -r "$replicas" -- "$collect")
		src2=(logmerge -l "$late" -n "$sources")
		return
	fi
	if [ -n "$no_follow" ]; then
		tail_opts=(--no-follow)
	else
		tail_opts=(--ticks)
		parse_opts=(--ticks --live)	# marked ticks; the future bound
		[ -n "$from_start" ] && tail_opts+=(--from-start)
		[ -n "$poll" ] && tail_opts+=(--poll "$poll")
	fi
	[ -n "$state" ] && tail_opts+=(--state "$state")
	src1=(logtail "${tail_opts[@]}" -- "$file")
	src2=(logparse -f "$format" "${parse_opts[@]}")
}

# shipping -- --ship: the log followed, parsed, rolled up and published
shipping() {
	local src1 src2 statuses
	source_stages
	"${src1[@]}" | "${src2[@]}" | logroll -s "$source" |
	    natspub -r "$replicas" -- "$ship"
	statuses=("${PIPESTATUS[@]}")
	echo "logtail ${statuses[0]} logparse ${statuses[1]}" \
	    "logroll ${statuses[2]} natspub ${statuses[3]}" > "$workdir/status"
}

# stages -- every stage but the renderer; exit statuses to $workdir/status
stages() {
	local src1 src2 statuses stats_pid st status=
	# window records: for the dashboard and the metrics' window gauges
	[ -n "$dashboard$metrics" ] && status=--status
	source_stages
	{
		logstats -i "$interval" -n "$top" < "$workdir/records" &
		stats_pid=$!
		"${src1[@]}" |
		    "${src2[@]}" |
		    logtee "$workdir/records" |
		    logalert -t "$threshold" -w "$window" $status \
		    "${alert_opts[@]}"
		statuses=("${PIPESTATUS[@]}")
		wait "$stats_pid"
		st=$?
		echo "${src1[0]} ${statuses[0]} ${src2[0]} ${statuses[1]}" \
		    "logtee ${statuses[2]} logalert ${statuses[3]} logstats $st" \
		    > "$workdir/status"
	}
}

# merged -- the stages' records, through logmetrics with --metrics
merged() {
	if [ -n "$metrics" ]; then
		stages | logmetrics -o "$metrics"
		echo "logmetrics ${PIPESTATUS[1]}" >> "$workdir/status"
	else
		stages
	fi
}

# pipeline -- the stages, then logshow, or the FIFO that logview reads
pipeline() {
	if [ -n "$ship" ]; then
		shipping
	elif [ -n "$dashboard" ]; then
		merged > "$workdir/view" 2> "$workdir/errors"
	else
		merged | "$renderer"
	fi
}

# use_dashboard -- logview, unless --plain or --json, or stdout is no terminal
use_dashboard() {
	[ -z "$plain$json" ] && [ -t 1 ] && [ "${TERM:-dumb}" != dumb ]
}

# run_dashboard -- logview in the foreground process group until it ends
# (q, end of input, a signal), then the job stopped; logview's status
run_dashboard() {
	local st
	logview -l "$file" -w "$window" -t "$threshold" -i "$interval" \
	    < "$workdir/view" &
	viewer=$!
	wait "$viewer"
	st=$?
	viewer=
	kill -TERM -- "-$job" 2>/dev/null
	return "$st"
}

main() {
	local failed=0 name st
	parse_options "$@"
	check_options
	workdir=$(mktemp -d "${TMPDIR:-/tmp}/httpmon.XXXXXX") ||
	    die 1 "cannot make a private folder"
	trap cleanup EXIT
	trap 'stop_all 2' INT
	trap 'stop_all 15' TERM
	trap 'stop_all 1' HUP
	mkfifo -m 600 "$workdir/records" || die 1 "cannot make a FIFO"
	[ -n "$collect" ] && file=$collect	# logview's label
	if [ -z "$ship" ] && use_dashboard; then
		dashboard=1
		mkfifo -m 600 "$workdir/view" || die 1 "cannot make a FIFO"
	fi
	set -m
	pipeline &
	job=$!
	set +m
	if [ -n "$dashboard" ]; then
		run_dashboard
		st=$?
		wait "$job"
		show_errors
	else
		wait "$job"
		st=$?
	fi
	job=
	if [ -s "$workdir/status" ]; then
		set -- $(cat "$workdir/status")
		while [ $# -ge 2 ]; do
			report "$1" "$2" || failed=1
			shift 2
		done
	fi
	if [ -n "$dashboard" ]; then
		report logview "$st" || failed=1
	elif [ -z "$ship" ]; then
		report "$renderer" "$st" || failed=1
	fi
	cleanup
	[ "$failed" -eq 0 ] || exit 1
	exit 0
}

main "$@"
