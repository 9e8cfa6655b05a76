#!/usr/bin/env bash
# Builds the realistic Debian template (about 137 MiB qcow2, 1 GiB virtual) from Debian
# packages only: an mmdebstrap minbase bookworm with systemd, udev, dbus, ifupdown +
# isc-dhcp-client, iproute2, ping, busybox and the Debian cloud kernel. The disk has an
# MBR (SYSLINUX's mbr.bin), p1 FAT16 holding SYSLINUX + the kernel and its initramfs, and
# p2 the ext4 root (made with `mkfs.ext4 -d`), so SeaBIOS boots it alone (no -kernel).
# A linked clone of it reaches DHCP in about 16-19 s under TCG with 2 vCPUs.
#
#   scripts/build-debian-template.sh OUT.qcow2
#
# The guest (kernel cmdline: console=ttyS0,115200 net.ifnames=0, so its NIC is eth0), on
# its serial console ttyS0, besides the kernel's and systemd's own messages:
#   STRATO-GUEST-DHCP <ip/prefix>        eth0 got a DHCP lease (dhclient exit hook)
#   STRATO-GUEST-UP <uptime>s            networking.service is done (the marker tests wait for)
#   STRATO-GUEST-POWEROFF                systemd is powering off (for example after the ACPI
#                                        power button: logind, which needs dbus, handles it)
# Root is logged in on ttyS0 (serial-getty autologin) and has no password on tty1, so a
# test can type on the KVM driver's console socket as with build-small-template.sh.
#
# Needs: mmdebstrap (runs as root here: --mode=root), the machine's apt sources, fdisk
# (sfdisk), e2fsprogs, syslinux, syslinux-common (mbr.bin), mtools, dosfstools, qemu-utils
# (scripts/setup-kvm-host.sh installs them). No loop devices or mounts. The recipe is
# shared/notes/real-virt.md's "Debian template (realistic)".
set -euo pipefail

OUT=${1:?usage: build-debian-template.sh OUT.qcow2}
case "$OUT" in /*) ;; *) OUT="$PWD/$OUT" ;; esac
for tool in mmdebstrap sfdisk mkfs.ext4 mkfs.vfat mcopy syslinux qemu-img; do
    command -v "$tool" >/dev/null || { echo "missing $tool (run scripts/setup-kvm-host.sh)" >&2; exit 1; }
done
MBR=/usr/lib/syslinux/mbr/mbr.bin
[ -f "$MBR" ] || { echo "missing $MBR (syslinux-common; run scripts/setup-kvm-host.sh)" >&2; exit 1; }
SUITE=$(. /etc/os-release && echo "${VERSION_CODENAME:?}")
SIZE_MB=1024
BOOT_MB=64

W=$(mktemp -d /tmp/strato-debtpl.XXXXXX)
[ -n "${KEEP_WORK:-}" ] || trap 'rm -rf "$W"' EXIT
cd "$W"

# --- files put into the image ---------------------------------------------------------------
cat > dhcp-hook <<'EOF'
# Sourced by dhclient-script once the lease is applied: say which address eth0 got.
case "$reason" in
BOUND|RENEW|REBIND|REBOOT)
    echo "STRATO-GUEST-DHCP $(ip -4 -o addr show dev "$interface" | awk '{print $4; exit}')" > /dev/ttyS0 ;;
esac
EOF
cat > strato-guest-up.service <<'EOF'
[Unit]
Description=Print the Strato boot marker on ttyS0
After=network.target
[Service]
Type=oneshot
ExecStart=/bin/sh -c 'echo "STRATO-GUEST-UP $(cut -d" " -f1 /proc/uptime)s" > /dev/ttyS0'
[Install]
WantedBy=multi-user.target
EOF
cat > strato-guest-poweroff.service <<'EOF'
[Unit]
Description=Print the Strato power-off marker on ttyS0
DefaultDependencies=no
Before=poweroff.target
[Service]
Type=oneshot
ExecStart=/bin/sh -c 'echo STRATO-GUEST-POWEROFF > /dev/ttyS0'
[Install]
WantedBy=poweroff.target
EOF
cat > autologin.conf <<'EOF'
[Service]
ExecStart=
ExecStart=-/sbin/agetty --autologin root --keep-baud 115200,57600,38400,9600 %I $TERM
EOF

# --- root file system -----------------------------------------------------------------------
mmdebstrap --mode=root --variant=minbase \
    --include=systemd-sysv,udev,dbus,iproute2,ifupdown,isc-dhcp-client,iputils-ping,busybox,linux-image-cloud-amd64 \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias' \
    --customize-hook='echo strato-guest > "$1/etc/hostname"' \
    --customize-hook='chroot "$1" passwd -d root >/dev/null' \
    --customize-hook='printf "LABEL=stratoroot / ext4 rw,errors=remount-ro 0 1\n" > "$1/etc/fstab"' \
    --customize-hook='printf "auto lo\niface lo inet loopback\nauto eth0\niface eth0 inet dhcp\n" > "$1/etc/network/interfaces"' \
    --customize-hook="upload $W/dhcp-hook /etc/dhcp/dhclient-exit-hooks.d/strato" \
    --customize-hook="upload $W/strato-guest-up.service /etc/systemd/system/strato-guest-up.service" \
    --customize-hook="upload $W/strato-guest-poweroff.service /etc/systemd/system/strato-guest-poweroff.service" \
    --customize-hook='mkdir -p "$1/etc/systemd/system/serial-getty@ttyS0.service.d"' \
    --customize-hook="upload $W/autologin.conf /etc/systemd/system/serial-getty@ttyS0.service.d/autologin.conf" \
    --customize-hook='chroot "$1" systemctl enable -q strato-guest-up.service strato-guest-poweroff.service serial-getty@ttyS0.service' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
    "$SUITE" root > mmdebstrap.log 2>&1 || { tail -30 mmdebstrap.log >&2; exit 1; }

# --- disk: MBR + FAT16 boot partition with SYSLINUX + ext4 root, no loop devices -----------
KVER=$(cd root/boot && ls vmlinuz-* | sed 's/^vmlinuz-//' | head -1)
truncate -s ${SIZE_MB}M disk.raw
printf 'label: dos\nstart=2048, size=%d, type=6, bootable\nstart=%d, type=83\n' \
    $((BOOT_MB * 2048)) $((2048 + BOOT_MB * 2048)) | sfdisk -q disk.raw
dd if="$MBR" of=disk.raw bs=440 count=1 conv=notrunc status=none
mkfs.vfat -F 16 -n STRATOBOOT --offset=2048 disk.raw $((BOOT_MB * 1024)) >/dev/null 2>&1
cat > syslinux.cfg <<EOF
SERIAL 0 115200
DEFAULT debian
PROMPT 0
TIMEOUT 0
LABEL debian
  KERNEL /vmlinuz
  INITRD /initrd.img
  APPEND root=LABEL=stratoroot rw console=tty0 console=ttyS0,115200 net.ifnames=0 panic=-1
EOF
cp "root/boot/vmlinuz-$KVER" vmlinuz
cp "root/boot/initrd.img-$KVER" initrd.img
mcopy -i disk.raw@@1M vmlinuz initrd.img syslinux.cfg ::/
syslinux --offset $((2048 * 512)) --install disk.raw
ROOT_OFF=$(((2048 + BOOT_MB * 2048) * 512))
mkfs.ext4 -q -L stratoroot -E offset=$ROOT_OFF -d root disk.raw $(((SIZE_MB * 1024 * 1024 - ROOT_OFF) / 1024))k
mkdir -p "$(dirname "$OUT")"
qemu-img convert -q -c -O qcow2 disk.raw "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "$OUT: $(du -h "$OUT" | cut -f1) (Debian $SUITE, kernel $KVER)"
