#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/suite-80-packaging.sh - man pages, make install, the Debian packages.
#
# Owns the checks of issue 16 sections 2 and 3:
#   - tests/check-man-pages: every --help option is in the program's man
#     page and back, the module's parameters and sysfs files are in
#     virtio_cryptodev(4) and back, the README's options exist, one version
#     everywhere; the pages format without groff/man warnings;
#   - make install / make uninstall into a scratch DESTDIR;
#   - make deb, lintian (no error and no warning), apt-get install of the
#     three packages on this machine, the installed programs run (--version,
#     a chat between the installed chat-server and chat-client, the installed
#     daemon listening), the units are installed disabled, the man pages are
#     found by man;
#   - the DKMS source builds for the guest kernels 6.1 and 6.12 (headers from
#     vm/fetch-headers), and each DKMS-built module loads in a guest of that
#     kernel and passes the known answers (cryptodev_kat);
#   - dpkg --purge leaves nothing: no file the packages listed (dpkg -L
#     before), no DKMS tree, no module under /lib/modules, no file named
#     after the packages that was not there before they were installed.
# Needs root (it installs packages).  Packages of an interrupted run are
# purged first.  Logs: build/test-logs/packaging/.
# Does not own: the packaging itself (debian/, tools/build-deb), vm/run.
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
logs=build/test-logs/packaging
rm -rf "$logs"
mkdir -p "$logs"
tmp=$(mktemp -d /tmp/suite-packaging.XXXXXX)
PKGS="vhost-user-crypto virtio-chat virtio-cryptodev-dkms"
VERSION=$(cat VERSION)
DKMS_DIR=/var/lib/dkms/virtio_cryptodev
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$tmp"
	return 0
}
trap cleanup EXIT

# ---- man pages, --help, README, version (no root needed)
# (options and versions also with the ASan+UBSan programs of build/san)
for c in options module readme versions san:options san:versions; do
	b=build
	case $c in san:*) b=build/san c=${c#san:} ;; esac
	log=$logs/check-$c-${b//\//-}.log
	if tests/check-man-pages --build "$b" "$c" >"$log" 2>&1; then
		t_pass "check-man-pages $c ($b)"
	else
		t_fail "check-man-pages $c ($b):"
		sed 's/^/    /' "$log"
	fi
done
for page in man/*.[1-8]; do
	w=$(LC_ALL=C.UTF-8 groff -man -ww -z "$page" 2>&1;
	    LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
	if [ -z "$w" ]; then t_pass "$page formats without warnings"
	else t_fail "$page: $w"; fi
done

# ---- make install / make uninstall
dest=$tmp/destdir
if make -s install DESTDIR="$dest" PREFIX=/usr >"$logs/install.log" 2>&1; then
	want="usr/bin/chat-server usr/bin/chat-client usr/bin/chat-bench
	      usr/bin/vhost-user-crypto etc/systemd/system/vhost-user-crypto@.service
	      etc/systemd/system/chat-server.service"
	for p in man/*.[1-8]; do want="$want usr/share/man/man${p##*.}/${p##*/}"; done
	missing=""
	for f in $want; do [ -f "$dest/$f" ] || missing="$missing $f"; done
	if [ -z "$missing" ]; then t_pass "make install: programs, units and man pages"
	else t_fail "make install did not install:$missing"; fi
	if grep -q '^ExecStart=/usr/bin/chat-server' "$dest/etc/systemd/system/chat-server.service" 2>/dev/null; then
		t_pass "make install: units name PREFIX/bin"
	else
		t_fail "make install: chat-server.service does not run /usr/bin/chat-server"
	fi
	make -s uninstall DESTDIR="$dest" PREFIX=/usr >>"$logs/install.log" 2>&1
	left=$(find "$dest" -type f 2>/dev/null)
	if [ -z "$left" ]; then t_pass "make uninstall removes every installed file"
	else t_fail "make uninstall left: $left"; fi
else
	t_fail "make install (log $logs/install.log)"
	tail -n 10 "$logs/install.log"
fi

if [ "$(id -u)" != 0 ]; then
	t_fail "the package checks install packages: run as root"
	t_summary
	exit
fi
export DEBIAN_FRONTEND=noninteractive

# ---- packages of an interrupted run go first
for p in $PKGS; do
	if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'installed\|config-files'; then
		echo "purging $p left by an earlier run"
		dpkg --purge "$p" >>"$logs/purge-old.log" 2>&1
	fi
done

# ---- make deb
t0=$(date +%s)
if make deb >"$logs/deb.log" 2>&1; then
	t_pass "make deb ($(( $(date +%s) - t0 )) s)"
else
	t_fail "make deb (log $logs/deb.log)"
	tail -n 30 "$logs/deb.log"
fi
debs=""
for p in vhost-user-crypto_${VERSION}_amd64 virtio-chat_${VERSION}_amd64 virtio-cryptodev-dkms_${VERSION}_all; do
	if [ -f "build/deb/$p.deb" ]; then
		t_pass "build/deb/$p.deb built"
		debs="$debs ./build/deb/$p.deb"
	else
		t_fail "build/deb/$p.deb missing"
	fi
done

# ---- lintian: no error, no warning (info tags are listed in the log)
changes=$(ls build/deb/*.changes 2>/dev/null | head -n1)
if [ -n "$changes" ]; then
	lintian --fail-on error,warning -I "$changes" 2>&1 |
		grep -v 'running with root privileges' >"$logs/lintian.log"
	if [ "${PIPESTATUS[0]}" = 0 ]; then
		t_pass "lintian: no errors or warnings ($(grep -c '^[EWI]:' "$logs/lintian.log") info tags)"
	else
		t_fail "lintian:"
		sed 's/^/    /' "$logs/lintian.log"
	fi
else
	t_fail "lintian: no .changes in build/deb"
fi

# ---- what exists before: files named after us, to compare after the purge
snapshot() {
	find /etc /usr /lib /var/lib /run -xdev \( -name '*chat-server*' -o \
		-name '*chat-client*' -o -name '*chat-bench*' -o -name '*vhost-user-crypto*' \
		-o -name '*virtio_cryptodev*' -o -name '*virtio-cryptodev*' \
		-o -name '*virtio-chat*' \) 2>/dev/null | sort
}
snapshot >"$tmp/before"

# ---- install with apt
if [ -n "$debs" ] &&
	# shellcheck disable=SC2086
	apt-get install -y --no-install-recommends $debs >"$logs/apt-install.log" 2>&1; then
	t_pass "apt-get install ./build/deb/*.deb"
else
	t_fail "apt-get install (log $logs/apt-install.log)"
	tail -n 20 "$logs/apt-install.log"
fi
for p in $PKGS; do dpkg -L "$p" 2>/dev/null; done | sort -u >"$tmp/pkgfiles"

for prog in chat-server chat-client chat-bench vhost-user-crypto; do
	out=$(/usr/bin/$prog --version 2>&1)
	if [ "$out" = "$prog (virtio-cryptodev) $VERSION" ]; then t_pass "installed $prog --version: $out"
	else t_fail "installed /usr/bin/$prog --version: '$out'"; fi
done
for page in chat-server.1 chat-client.1 chat-bench.1 vhost-user-crypto.8 virtio_cryptodev.4; do
	sec=${page##*.} name=${page%.*}
	if [ "$(man -w "$sec" "$name" 2>/dev/null)" = "/usr/share/man/man$sec/$page.gz" ] &&
		[ -z "$(MANWIDTH=80 man --warnings "$sec" "$name" 2>&1 >/dev/null)" ]; then
		t_pass "man $sec $name: installed and formats cleanly"
	else
		t_fail "man $sec $name: not installed at /usr/share/man/man$sec/$page.gz or warnings"
	fi
done
for unit in chat-server.service vhost-user-crypto@.service; do
	links=$(find /etc/systemd/system -name "${unit%.service}*" 2>/dev/null)
	state=$(systemctl is-enabled "$unit" 2>/dev/null)
	if [ -f "/lib/systemd/system/$unit" ] && [ -z "$links" ] &&
		{ [ "$state" = disabled ] || [ "$state" = indirect ]; }; then
		t_pass "$unit installed, not enabled ($state)"
	else
		t_fail "$unit: file $(ls "/lib/systemd/system/$unit" 2>&1), links '$links', is-enabled '$state'"
	fi
done
# The packaged unit is the hardened one of backend/systemd (the lifecycle
# issue's changes land in the package): same exposure score as suite-40's.
pkg_unit=/lib/systemd/system/vhost-user-crypto@.service
score=$(systemd-analyze security --offline=true "$pkg_unit" 2>/dev/null |
	sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
if [ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' &&
	grep -q '^DynamicUser=yes' "$pkg_unit"; then
	t_pass "packaged vhost-user-crypto@.service is the hardened unit (exposure $score <= 2.0, DynamicUser)"
else
	t_fail "packaged vhost-user-crypto@.service: exposure '${score:-?}', $(grep -c '^DynamicUser=yes' "$pkg_unit" 2>/dev/null) DynamicUser lines"
fi
if grep -q '^CHAT_SERVER_OPTS=' /etc/default/chat-server 2>/dev/null &&
	grep -qx /etc/default/chat-server <(dpkg-query -W -f='${Conffiles}\n' virtio-chat | awk '{print $1}'); then
	t_pass "/etc/default/chat-server is a conffile with CHAT_SERVER_OPTS"
else
	t_fail "/etc/default/chat-server missing or not a conffile"
fi

# The installed programs work: a message from one installed chat-client to
# another through the installed chat-server; the installed daemon listens.
port=$(t_free_port)
/usr/bin/chat-server --listen 127.0.0.1 --port "$port" 2>"$logs/chat-server.log" &
pids+=($!)
ok=0
for _ in $(seq 50); do
	if (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null; then ok=1; break; fi
	sleep 0.1
done
if [ $ok = 1 ]; then
	echo "pkg-room" >"$tmp/pass"
	(sleep 4 | timeout 30 /usr/bin/chat-client --nick bob --crypto software \
		--passphrase-file "$tmp/pass" 127.0.0.1 "$port" >"$tmp/bob.out" 2>&1) &
	bob=$!
	sleep 1.5
	echo "hello from the package" | timeout 30 /usr/bin/chat-client --nick alice \
		--crypto software --passphrase-file "$tmp/pass" --linger 0.5 \
		127.0.0.1 "$port" >"$tmp/alice.out" 2>&1
	wait "$bob"
	if grep -q '<alice> hello from the package' "$tmp/bob.out"; then
		t_pass "installed chat-client -> chat-server -> chat-client: message decrypted"
	else
		t_fail "installed chat: bob did not get alice's message:"
		sed 's/^/    /' "$tmp/bob.out" "$tmp/alice.out"
	fi
else
	t_fail "installed chat-server does not listen on 127.0.0.1:$port"
fi
kill -TERM "${pids[0]}" 2>/dev/null
wait "${pids[0]}" 2>/dev/null
t_check "installed chat-server exits 0 on SIGTERM" test $? = 0

sock=$tmp/vuc.sock
/usr/bin/vhost-user-crypto --socket "$sock" --engine openssl 2>"$logs/vhost-user-crypto.log" &
vpid=$!
pids+=($vpid)
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
t_check "installed vhost-user-crypto listens on its socket" test -S "$sock"
kill -TERM "$vpid" 2>/dev/null
wait "$vpid"
rc=$?
if [ $rc = 0 ] && [ ! -e "$sock" ]; then t_pass "installed vhost-user-crypto: SIGTERM, exit 0, socket removed"
else t_fail "installed vhost-user-crypto: exit $rc after SIGTERM, socket $(ls "$sock" 2>&1)"; fi

# ---- DKMS: the source builds for each guest kernel and the module works there
if dkms status -m virtio_cryptodev -v "$VERSION" 2>/dev/null | grep -q .; then
	t_pass "dkms knows virtio_cryptodev/$VERSION: $(dkms status -m virtio_cryptodev -v "$VERSION" | tr '\n' ';')"
else
	t_fail "dkms status: virtio_cryptodev/$VERSION not added"
fi
make -s -j2 guest >"$logs/guest-build.log" 2>&1 || t_fail "make guest (log $logs/guest-build.log)"
params=$(sed -n '/^\.SH MODULE PARAMETERS/,/^\.SH /{/^\.TP/{n;s/^\.BR* \([a-z0-9_]*\).*/\1/p}}' \
	man/virtio_cryptodev.4 | sort | tr '\n' ' ')
for series in 6.1 6.12; do
	if ! kdir=$(vm/fetch-headers "$series" 2>"$logs/headers-$series.log"); then
		t_fail "vm/fetch-headers $series (log $logs/headers-$series.log)"
		continue
	fi
	# the guest's uname -r (Debian 6.1 headers' kernel.release says 6.1.N)
	rel=$(cat "$(vm/fetch-kernel "$series")/release")
	state=$(dkms status -m virtio_cryptodev -v "$VERSION" -k "$rel" 2>/dev/null)
	how="by the package's postinst"
	case $state in
	*": installed"* | *": built"*) ;;
	*)
		how="by dkms build"
		dkms build -m virtio_cryptodev -v "$VERSION" -k "$rel" --kernelsourcedir "$kdir" \
			>"$logs/dkms-build-$series.log" 2>&1 ||
			tail -n 20 "$logs/dkms-build-$series.log"
		;;
	esac
	ko=$(ls "$DKMS_DIR/$VERSION/$rel"/*/module/virtio_cryptodev.ko* 2>/dev/null | head -n1)
	if [ -z "$ko" ]; then
		t_fail "DKMS build for $rel: no module (log $logs/dkms-build-$series.log)"
		continue
	fi
	case $ko in
	*.xz) xz -dc "$ko" >"$tmp/virtio_cryptodev.ko" ;;
	*.zst) zstd -qdc "$ko" >"$tmp/virtio_cryptodev.ko" ;;
	*) cp "$ko" "$tmp/virtio_cryptodev.ko" ;;
	esac
	magic=$(modinfo -F vermagic "$tmp/virtio_cryptodev.ko" | awk '{print $1}')
	if [ "$magic" = "$rel" ]; then t_pass "DKMS built virtio_cryptodev.ko for $rel ($how)"
	else t_fail "DKMS module for $rel has vermagic '$magic'"; fi
	got=$(modinfo -F parm "$tmp/virtio_cryptodev.ko" | cut -d: -f1 | sort | tr '\n' ' ')
	if [ "$got" = "$params" ]; then t_pass "$rel: the module's parameters are the man page's ($got)"
	else t_fail "$rel: module parameters '$got', virtio_cryptodev(4) lists '$params'"; fi
	case $state in
	*": installed"*)
		if ls "/lib/modules/$rel/updates/dkms/virtio_cryptodev.ko"* >/dev/null 2>&1; then
			t_pass "DKMS installed it into /lib/modules/$rel/updates/dkms/"
		else
			t_fail "dkms says installed for $rel, /lib/modules/$rel/updates/dkms/ has no module"
		fi
		;;
	esac
	cp "$tmp/virtio_cryptodev.ko" "$tmp/vcd_dkms.ko"
	vm/run --kernel "$series" --driver none --add "$tmp/vcd_dkms.ko" --timeout 240 -- \
		'insmod /usr/local/bin/vcd_dkms.ko && test -c /dev/crypto && test -c /dev/cryptodev0 && cryptodev_kat' \
		>"$logs/vm-$series.log" 2>&1
	rc=$?
	if [ $rc = 0 ] && grep -Eq '^kat: [0-9]+ passed, 0 failed' "$logs/vm-$series.log"; then
		t_pass "guest $rel: DKMS-built module loads, /dev/crypto + /dev/cryptodev0, $(grep -E '^kat: ' "$logs/vm-$series.log" | tail -n1)"
	else
		t_fail "guest $rel: DKMS-built module (vm/run exit $rc, log $logs/vm-$series.log)"
		tail -n 15 "$logs/vm-$series.log"
	fi
done

# ---- purge: nothing left behind
if dpkg --purge $PKGS >"$logs/purge.log" 2>&1; then
	t_pass "dpkg --purge $PKGS"
else
	t_fail "dpkg --purge (log $logs/purge.log)"
	tail -n 20 "$logs/purge.log"
fi
for p in $PKGS; do
	if dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -qv '^unknown ok not-installed$\|^$'; then
		t_fail "$p still known to dpkg: $(dpkg-query -W -f='${Status}' "$p")"
	else
		t_pass "$p purged"
	fi
done
left=""
while read -r f; do
	[ -n "$f" ] && [ ! -d "$f" ] && [ -e "$f" ] && left="$left $f"
done <"$tmp/pkgfiles"
if [ -s "$tmp/pkgfiles" ] && [ -z "$left" ]; then
	t_pass "none of the $(wc -l <"$tmp/pkgfiles") paths of dpkg -L is left a file"
else
	t_fail "left after purge:${left:- (no dpkg -L list)}"
fi
left=$( { ls -d "$DKMS_DIR" /usr/src/virtio_cryptodev-"$VERSION" 2>/dev/null;
	  find /lib/modules -name 'virtio_cryptodev.ko*' 2>/dev/null; } | tr '\n' ' ')
if [ -z "$left" ]; then t_pass "no DKMS tree, source or built module left"
else t_fail "DKMS left: $left"; fi
snapshot >"$tmp/after"
new=$(comm -13 "$tmp/before" "$tmp/after" | tr '\n' ' ')
if [ -z "$new" ]; then t_pass "no file named after the packages appeared for good"
else t_fail "new after install + purge: $new"; fi

t_summary
