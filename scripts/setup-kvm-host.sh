#!/usr/bin/env bash
# Prepares a fresh Debian (bookworm) host to run `strato agent --driver kvm`, and to build
# Strato with `--features kvm`. Idempotent: run it again and it only fixes what is missing.
#
#   scripts/setup-kvm-host.sh            # packages, libvirt config, start libvirtd
#   scripts/setup-kvm-host.sh --no-start # packages and config only
#   scripts/setup-kvm-host.sh --private-ip 10.0.0.5   # libvirtd's TCP listener address
#   scripts/setup-kvm-host.sh --no-migration-listener # no TCP listener (no live migration)
#
# What it does (the recipe measured in shared/notes/real-virt.md):
#   1. apt-get update; installs QEMU (qemu-system-x86), libvirt (daemon, QEMU driver,
#      clients, libvirt-dev + pkg-config for building the `virt` crate), dnsmasq-base,
#      bridge-utils, iproute2, nftables, and the tools scripts/build-small-template.sh uses.
#      qemu-system-x86 from bookworm REMOVES a newer preinstalled qemu-utils (backports),
#      so qemu-utils is installed in a second apt call, after it.
#   2. libvirt without libvirt-daemon-system: the `libvirt-qemu` user/group (the QEMU driver
#      resolves it before reading qemu.conf), the state/log/run directories, and a
#      /etc/libvirt/qemu.conf running QEMU as root with no security driver, no cgroups and
#      no virtlogd (stdio_handler = "file").
#   3. Raises net.ipv4.igmp_max_memberships (one multicast group per VXLAN network).
#   4. libvirtd's TCP listener for live migration, as on CloudStack KVM hosts: the source
#      host's libvirtd connects to qemu+tcp://<destination private IP>/system. It listens
#      on the host's private address only (--private-ip, else the address of the interface
#      holding the default route), port 16509, WITHOUT authentication or encryption
#      (auth_tcp = "none"): whoever reaches that address controls every VM of the host.
#      Use it only on a trusted management network, never on a public address.
#   5. Starts libvirtd (and virtlogd) by hand when there is no systemd (with --listen; a
#      hand-started libvirtd not listening yet is restarted: its guests keep running), or
#      through systemctl when systemd runs (libvirtd-tcp.socket bound to the private
#      address). Waits for the socket and warms QEMU's capability cache (the first call
#      after an install takes about 8 s).
#
# Must run as root. Never downloads anything but Debian packages.
set -euo pipefail

START=1
TCP=1
PRIVATE_IP=""
while [ $# -gt 0 ]; do
    case "$1" in
        --no-start) START=0 ;;
        --no-migration-listener) TCP=0 ;;
        --private-ip) PRIVATE_IP="${2:?--private-ip needs an address}"; shift ;;
        -h|--help) sed -n '2,32p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
    shift
done

if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then exec sudo -E "$0" "$@"; fi
    echo "setup-kvm-host.sh must run as root" >&2
    exit 1
fi

log() { echo "== $*"; }
export DEBIAN_FRONTEND=noninteractive

# --- 1. packages -------------------------------------------------------------------------
PKGS=(
    qemu-system-x86
    libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients libvirt-dev pkg-config
    dnsmasq-base bridge-utils iproute2 nftables iptables
    # scripts/build-small-template.sh
    busybox-static cpio syslinux syslinux-common mtools dosfstools
    # scripts/build-debian-template.sh (with the above)
    mmdebstrap fdisk e2fsprogs
)
missing=()
for p in "${PKGS[@]}" qemu-utils; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# A qemu-img that is not the one matching qemu-system-x86 counts as missing too (see above).
if command -v qemu-system-x86_64 >/dev/null && command -v qemu-img >/dev/null; then
    sys_v=$(qemu-system-x86_64 --version | head -1 | awk '{print $4}')
    img_v=$(qemu-img --version | head -1 | awk '{print $3}')
    [ "$sys_v" = "$img_v" ] || missing+=(qemu-utils)
fi
if [ ${#missing[@]} -gt 0 ]; then
    log "installing: ${missing[*]}"
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${PKGS[@]}" >/dev/null
    # Second call on purpose: the first may have removed a backports qemu-utils.
    apt-get install -y -qq --no-install-recommends qemu-utils >/dev/null
else
    log "packages already installed"
fi
command -v qemu-img >/dev/null || { echo "qemu-img is missing after the install" >&2; exit 1; }
echo "   $(qemu-system-x86_64 --version | head -1)"
echo "   $(qemu-img --version | head -1)"
echo "   libvirt $(virsh --version)"

# --- 2. libvirt configuration -----------------------------------------------------------
getent group libvirt-qemu >/dev/null || groupadd --system libvirt-qemu
id libvirt-qemu >/dev/null 2>&1 ||
    useradd --system -M -d /var/lib/libvirt -s /usr/sbin/nologin -g libvirt-qemu libvirt-qemu
mkdir -p /etc/libvirt /var/log/libvirt/qemu /var/lib/libvirt/qemu /var/cache/libvirt /run/libvirt

QEMU_CONF=/etc/libvirt/qemu.conf
read -r -d '' WANT_CONF <<'EOF' || true
# Written by strato scripts/setup-kvm-host.sh: QEMU runs as root without a security
# driver, cgroups or virtlogd (hosts without systemd). Edit freely; the script only
# rewrites this file while it still starts with this comment.
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
stdio_handler = "file"
cgroup_controllers = [ ]
swtpm_user = "root"
swtpm_group = "root"
EOF
if [ ! -s "$QEMU_CONF" ] || head -1 "$QEMU_CONF" | grep -q "strato scripts/setup-kvm-host.sh" ||
    ! grep -qE '^[[:space:]]*security_driver' "$QEMU_CONF"; then
    if [ "$(cat "$QEMU_CONF" 2>/dev/null)" != "$WANT_CONF" ]; then
        [ -s "$QEMU_CONF" ] && cp "$QEMU_CONF" "$QEMU_CONF.strato-backup"
        printf '%s\n' "$WANT_CONF" > "$QEMU_CONF"
        log "wrote $QEMU_CONF"
    fi
else
    log "$QEMU_CONF was edited by hand; leaving it"
fi

# --- 2b. kernel settings ------------------------------------------------------------------
# Each VXLAN guest network with a VM on this host joins one multicast group on the kernel's
# single VXLAN socket, capped by igmp_max_memberships (default 20, as CloudStack's VXLAN
# guide warns). Matches strato_hypervisor_kvm::network::IGMP_MEMBERSHIPS.
IGMP=/proc/sys/net/ipv4/igmp_max_memberships
if [ -w "$IGMP" ] && [ "$(cat "$IGMP")" -lt 1024 ]; then
    echo 1024 > "$IGMP"
    log "net.ipv4.igmp_max_memberships = 1024 (VXLAN networks per host)"
fi

# --- 2c. libvirtd's TCP listener (live migration) ------------------------------------------
# Only on a trusted management network: the listener has no authentication (see above).
LIBVIRTD_CONF=/etc/libvirt/libvirtd.conf
BEGIN_MARK="# BEGIN strato scripts/setup-kvm-host.sh: TCP listener for live migration"
END_MARK="# END strato scripts/setup-kvm-host.sh"
if [ "$TCP" -eq 1 ] && [ -z "$PRIVATE_IP" ]; then
    dev=$(ip -o -4 route show default | awk '{for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit }}')
    if [ -n "$dev" ]; then
        PRIVATE_IP=$(ip -o -4 addr show dev "$dev" scope global | awk '{ split($4, a, "/"); print a[1]; exit }')
    fi
    if [ -z "$PRIVATE_IP" ]; then
        log "no private address found (pass --private-ip): no TCP listener, no live migration"
        TCP=0
    fi
fi
if [ "$TCP" -eq 1 ]; then
    # Our block, replaced as a whole; the rest of the file is left as it is.
    others=$(awk -v b="$BEGIN_MARK" -v e="$END_MARK" '$0 == b { skip = 1; next } $0 == e { skip = 0; next } !skip' \
        "$LIBVIRTD_CONF" 2>/dev/null || true)
    if grep -qE '^[[:space:]]*(listen_tls|listen_tcp|listen_addr|tcp_port|auth_tcp)[[:space:]]*=' <<<"$others"; then
        log "$LIBVIRTD_CONF sets the TCP listener by hand; leaving it"
    else
        want=$( [ -n "$others" ] && printf '%s\n' "$others"
            printf '%s\n' "$BEGIN_MARK" 'listen_tls = 0' 'listen_tcp = 1' "listen_addr = \"$PRIVATE_IP\"" \
                'tcp_port = "16509"' 'auth_tcp = "none"' "$END_MARK")
        if [ "$(cat "$LIBVIRTD_CONF" 2>/dev/null)" != "$want" ]; then
            printf '%s\n' "$want" > "$LIBVIRTD_CONF"
            log "libvirtd listens on $PRIVATE_IP:16509 without authentication ($LIBVIRTD_CONF): trusted management networks only"
        fi
    fi
fi

[ "$START" -eq 1 ] || { log "done (not started: --no-start)"; exit 0; }

# --- 3. start the daemons ----------------------------------------------------------------
libvirt_up() { virsh -q -c qemu:///system uri >/dev/null 2>&1; }
tcp_up() { (exec 3<>"/dev/tcp/$PRIVATE_IP/16509") 2>/dev/null; }
LISTEN=()
[ "$TCP" -eq 1 ] && LISTEN=(--listen)
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
    log "systemd runs: enabling libvirtd"
    if [ "$TCP" -eq 1 ]; then
        # Socket activation ignores listen_addr: the socket unit binds the private address.
        mkdir -p /etc/systemd/system/libvirtd-tcp.socket.d
        printf '[Socket]\nListenStream=\nListenStream=%s:16509\n' "$PRIVATE_IP" \
            > /etc/systemd/system/libvirtd-tcp.socket.d/strato.conf
        systemctl daemon-reload
        systemctl enable libvirtd-tcp.socket >/dev/null 2>&1 || true
        tcp_up || systemctl stop libvirtd.service >/dev/null 2>&1 || true
    fi
    systemctl enable --now virtlogd.socket libvirtd.socket >/dev/null 2>&1 || true
    [ "$TCP" -eq 1 ] && { systemctl start libvirtd-tcp.socket >/dev/null 2>&1 || true; }
    systemctl enable --now libvirtd.service >/dev/null 2>&1 || systemctl start libvirtd
else
    if libvirt_up && [ "$TCP" -eq 1 ] && ! tcp_up && [ -s /run/libvirtd.pid ]; then
        # Started by hand without --listen: restart it (QEMU guests outlive libvirtd).
        log "restarting libvirtd to listen on $PRIVATE_IP:16509"
        pid=$(cat /run/libvirtd.pid)
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    if libvirt_up; then
        log "libvirtd already running"
    else
        log "starting libvirtd by hand (no systemd)"
        # stdio_handler=file means QEMU does not need virtlogd; start it anyway when present
        # so a qemu.conf edited back to the default still works.
        if command -v virtlogd >/dev/null && ! pgrep -x virtlogd >/dev/null; then
            virtlogd --daemon --pid-file=/run/virtlogd.pid || true
        fi
        # A stale pid file from a killed daemon makes libvirtd refuse to start.
        if [ -s /run/libvirtd.pid ] && ! kill -0 "$(cat /run/libvirtd.pid)" 2>/dev/null; then
            rm -f /run/libvirtd.pid
        fi
        /usr/sbin/libvirtd --daemon "${LISTEN[@]}" --pid-file=/run/libvirtd.pid
    fi
fi
for _ in $(seq 100); do libvirt_up && break; sleep 0.1; done
libvirt_up || { echo "libvirtd did not come up (see /var/log/libvirt/libvirtd.log)" >&2; exit 1; }
if [ "$TCP" -eq 1 ]; then
    for _ in $(seq 50); do tcp_up && break; sleep 0.1; done
    tcp_up || { echo "libvirtd does not listen on $PRIVATE_IP:16509 (see /var/log/libvirt/libvirtd.log)" >&2; exit 1; }
    log "libvirtd listens on $PRIVATE_IP:16509 (live migration; no authentication)"
fi
# Warm the capability cache so the agent's first start is not 8 s slower.
virsh -q -c qemu:///system domcapabilities --virttype qemu >/dev/null 2>&1 || true
echo "   $(virsh -c qemu:///system version 2>/dev/null | grep -i 'running hypervisor')"
log "done: libvirtd answers on qemu:///system"
