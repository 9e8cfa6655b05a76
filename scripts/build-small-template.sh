#!/usr/bin/env bash
# Builds the smallest bootable guest template (about 12 MiB qcow2, 32 MiB virtual) from
# Debian packages only: a FAT "superfloppy" holding SYSLINUX, the Debian cloud kernel and
# a busybox initramfs. SeaBIOS boots it alone (no -kernel), so it works as a real disk
# template: a qcow2 linked clone of it boots in about 3 s under TCG.
#
#   scripts/build-small-template.sh OUT.qcow2
#
# The guest, on its serial console (ttyS0, 115200):
#   STRATO-GUEST-UP <uptime>s            userspace started (the marker tests wait for)
#   STRATO-GUEST-DHCP <ip/prefix>        eth0 got a DHCP lease (busybox udhcpc)
#   STRATO-GUEST-POWEROFF                the ACPI power button was pressed
#   STRATO-GUEST-DISKS <vda vdb ...>     at boot once acpid runs (from then on the ACPI
#                                        button is heard), and whenever the set of
#                                        /sys/block/vd* changes (hot-plug; polled every second)
# It then idles; the ACPI power button (virsh shutdown) powers it off (busybox acpid).
# Root has a shell on tty1 (VNC) and one on the serial port ttyS0. The KVM driver makes
# the serial port a unix socket (<data dir>/console/<vm>.sock) whose output is also
# appended to <vm>.log, so a test connects to the socket and types, for example,
#   ping -c 1 -W 2 10.1.1.11; echo "RC-$?-n1"
# and reads `RC-0-n1` from the log (the shell echoes what is typed, so look for the
# expanded result, not the command's own text).
#
# Needs: apt-get (to download the kernel .deb), busybox-static, cpio, gzip, syslinux,
# syslinux-common, mtools, dosfstools, qemu-utils (scripts/setup-kvm-host.sh installs
# them). No root, loop devices or mounts needed. The recipe is shared/notes/real-virt.md's.
set -euo pipefail

OUT=${1:?usage: build-small-template.sh OUT.qcow2}
case "$OUT" in /*) ;; *) OUT="$PWD/$OUT" ;; esac
for tool in apt-get apt-cache dpkg-deb cpio gzip mkfs.vfat mcopy syslinux qemu-img; do
    command -v "$tool" >/dev/null || { echo "missing $tool (run scripts/setup-kvm-host.sh)" >&2; exit 1; }
done
BUSYBOX=/bin/busybox
[ -x "$BUSYBOX" ] && "$BUSYBOX" --list | grep -x acpid >/dev/null ||
    { echo "missing busybox-static (run scripts/setup-kvm-host.sh)" >&2; exit 1; }

W=$(mktemp -d /tmp/strato-tpl.XXXXXX)
[ -n "${KEEP_WORK:-}" ] || trap 'rm -rf "$W"' EXIT
cd "$W"

# --- kernel: the Debian cloud kernel, extracted from its .deb (not installed) -------------
KPKG=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
[ -n "$KPKG" ] || { echo "apt knows no linux-image-cloud-amd64 (apt-get update?)" >&2; exit 1; }
# apt-get download drops privileges to _apt, which cannot write to a root-owned mktemp.
chmod 755 "$W"
apt-get download -qq "$KPKG" 2>/dev/null
MODS=(virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_mmio
      virtio_blk failover net_failover virtio_net button evdev)
mkdir -p kx initrd/bin initrd/mod initrd/proc initrd/sys initrd/dev initrd/tmp \
    initrd/etc/acpi/PWRF initrd/root
dpkg-deb --fsys-tarfile "$KPKG"_*.deb | tar -x -C kx --wildcards './boot/vmlinuz-*' \
    './lib/modules/*/kernel/drivers/virtio/*.ko' './lib/modules/*/kernel/drivers/block/virtio_blk.ko' \
    './lib/modules/*/kernel/drivers/net/virtio_net.ko' './lib/modules/*/kernel/drivers/net/net_failover.ko' \
    './lib/modules/*/kernel/net/core/failover.ko' './lib/modules/*/kernel/drivers/acpi/button.ko' \
    './lib/modules/*/kernel/drivers/input/evdev.ko'
cp kx/boot/vmlinuz-* vmlinuz
find kx/lib -name '*.ko' -exec cp {} initrd/mod/ \;
for m in "${MODS[@]}"; do [ -f "initrd/mod/$m.ko" ] || { echo "module $m missing from $KPKG" >&2; exit 1; }; done

# --- initramfs: busybox + /init ------------------------------------------------------------
cp "$BUSYBOX" initrd/bin/busybox
cat > initrd/init <<EOF
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev 2>/dev/null
echo "STRATO-GUEST-UP \$(cut -d' ' -f1 /proc/uptime)s"
# Order matters: virtio needs virtio_ring first, or vda/eth0 silently do not appear.
for m in ${MODS[*]}; do insmod /mod/\$m.ko 2>/dev/null; done
hostname "\$(sed -n 's/.*strato.hostname=\([^ ]*\).*/\1/p' /proc/cmdline)"
[ -n "\$(hostname)" ] || hostname strato-guest
# -l: busybox acpid exits at once if it cannot open its log (/var/log/acpid.log).
acpid -c /etc/acpi -l /dev/null
# The set of virtio disks, at boot and whenever it changes (hot-plug). Started after
# acpid, so a first DISKS line also says the ACPI button (stop, reboot) is heard.
(
    prev=none
    while true; do
        disks=\$(cd /sys/block && for d in vd*; do [ -e "\$d" ] && printf '%s ' "\$d"; done)
        [ "\$disks" != "\$prev" ] && echo "STRATO-GUEST-DISKS \${disks% }" > /dev/console
        prev=\$disks
        sleep 1
    done
) &
ip link set lo up
if ip link show eth0 >/dev/null 2>&1; then
    ip link set eth0 up
    udhcpc -i eth0 -b -t 5 -T 2 -s /bin/udhcpc.sh >/dev/null 2>&1
fi
setsid -c sh </dev/tty1 >/dev/tty1 2>&1 &
setsid -c sh </dev/ttyS0 >/dev/ttyS0 2>&1 &
while true; do sleep 3600; done
EOF
cat > initrd/bin/udhcpc.sh <<'EOF'
#!/bin/sh
case "$1" in
bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/${mask:-24}" dev "$interface"
    [ -n "$router" ] && ip route replace default via "${router%% *}"
    echo "STRATO-GUEST-DHCP $ip/${mask:-24}" > /dev/console ;;
esac
EOF
cat > initrd/etc/acpi/PWRF/00000080 <<'EOF'
#!/bin/sh
echo "STRATO-GUEST-POWEROFF" > /dev/console
sync
poweroff -f
EOF
chmod +x initrd/init initrd/bin/udhcpc.sh initrd/etc/acpi/PWRF/00000080
(cd initrd && find . | cpio -o -H newc --quiet | gzip -9) > initrd.gz

# --- disk: FAT superfloppy + SYSLINUX, converted to a compressed qcow2 ---------------------
truncate -s 32M disk.raw
mkfs.vfat -n STRATOTPL disk.raw >/dev/null
printf 'SERIAL 0 115200\nDEFAULT l\nPROMPT 0\nTIMEOUT 0\nLABEL l\n  KERNEL /vmlinuz\n  INITRD /initrd.gz\n  APPEND console=tty1 console=ttyS0,115200 quiet panic=-1\n' > syslinux.cfg
mcopy -i disk.raw vmlinuz initrd.gz syslinux.cfg ::/
syslinux --install disk.raw
mkdir -p "$(dirname "$OUT")"
qemu-img convert -q -c -O qcow2 disk.raw "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "$OUT: $(du -h "$OUT" | cut -f1) ($KPKG, $(stat -c %s initrd.gz) B initramfs)"
