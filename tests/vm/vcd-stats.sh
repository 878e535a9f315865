#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/vm/vcd-stats.sh - the statistics of every virtio_cryptodev device as
# labelled tables (guest side; on the guest PATH as vcd-stats, see
# tests/vm/driver.mk).
#
# Usage: vcd-stats [queues|devices|all]   (default all)
#   queues   one row per queue: device queue requests bytes errors ring_full
#            inflight max_inflight
#   devices  one row per device: device used_dataqueues sessions_live
#            sessions_created sessions_evicted sessions_recreated resets
# Each table starts with a header line naming its columns; the columns are
# the files of /sys/bus/virtio/devices/virtioN/cryptodev/ (virtio_cryptodev(4)),
# a missing file shows as "-".  Exits 1 when no device is bound.  Does not
# own the counters, only their layout on screen.
QUEUE_COLS="requests bytes errors ring_full inflight max_inflight"
DEVICE_COLS="used_dataqueues sessions_live sessions_created sessions_evicted sessions_recreated resets"

# width COLUMN: a column is as wide as its name, at least 10
width() {
	if [ "${#1}" -lt 10 ]; then echo 10; else echo "${#1}"; fi
}

# row DIR LABEL... -- FILE...: the labels, then each FILE of DIR, as one row;
# with DIR "" the names of the files instead (the header)
row() {
	dir=$1
	shift
	line=""
	while [ "$1" != -- ]; do
		line="$line$(printf '%-11s' "$1")"
		shift
	done
	shift
	for f in "$@"; do
		if [ -z "$dir" ]; then
			v=$f
		else
			v=$(cat "$dir/$f" 2>/dev/null) || v=-
		fi
		line="$line$(printf ' %*s' "$(width "$f")" "$v")"
	done
	echo "$line"
}

what=${1:-all}
case $what in
queues | devices | all) ;;
-h | --help)
	echo "usage: vcd-stats [queues|devices|all]"
	echo "  queues   one row per queue: device queue $QUEUE_COLS"
	echo "  devices  one row per device: device $DEVICE_COLS"
	echo "  all      both tables (default)"
	exit 0
	;;
*)
	echo "vcd-stats: unknown table '$what' (queues, devices or all)" >&2
	exit 2
	;;
esac

devs=""
for d in /sys/bus/virtio/devices/*/cryptodev; do
	[ -d "$d" ] && devs="$devs $d"
done
if [ -z "$devs" ]; then
	echo "vcd-stats: no device bound to virtio_cryptodev" >&2
	exit 1
fi

if [ "$what" != devices ]; then
	row "" device queue -- $QUEUE_COLS
	for d in $devs; do
		node=$(cat "$d/node")
		# data queues in numeric order, then controlq
		for q in $(ls "$d/queues" | grep '^dataq\.' | sort -t . -k 2 -n) controlq; do
			row "$d/queues/$q" "$node" "$q" -- $QUEUE_COLS
		done
	done
fi
[ "$what" = all ] && echo
if [ "$what" != queues ]; then
	row "" device -- $DEVICE_COLS
	for d in $devs; do
		row "$d" "$(cat "$d/node")" -- $DEVICE_COLS
	done
fi
exit 0
