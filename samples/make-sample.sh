#!/bin/bash
# Makes samples/disk.qcow2, the small image the README's quick start opens:
# a compressed qcow2 holding a GPT disk with an EFI System partition (FAT32),
# a Linux root partition (ext4 with a few files) and a swap partition.
# Everything is made by the real tools: sfdisk, mkfs.fat, mtools, mke2fs -d, mkswap, qemu-img.
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PATH="$PATH:/usr/sbin:/sbin" TZ=UTC LC_ALL=C
# Same bytes every run: the tools take their clock from these.
export E2FSPROGS_FAKE_TIME=1704207845 SOURCE_DATE_EPOCH=1704207845

# Deterministic content: fixed times, fixed ids.
stamp=202401021504.05
mkdir -p "$work/root/etc" "$work/root/home/ada" "$work/root/usr/share/doc"
printf 'sample\n' > "$work/root/etc/hostname"
printf 'Hello from anymount.\nThis file lives on the ext4 partition p2.\n' > "$work/root/home/ada/hello.txt"
seq 1 20000 > "$work/root/usr/share/doc/numbers.txt"
ln -s hello.txt "$work/root/home/ada/link-to-hello"
ln "$work/root/home/ada/hello.txt" "$work/root/home/ada/hardlink-to-hello"
find "$work/root" -exec touch -h -t "$stamp" {} +

mkdir -p "$work/efi/EFI/BOOT"
printf 'not really a boot loader\n' > "$work/efi/EFI/BOOT/README.TXT"
find "$work/efi" -exec touch -h -t "$stamp" {} +

disk="$work/disk.raw"
truncate -s 96M "$disk"
sfdisk --quiet "$disk" <<'TABLE'
label: gpt
label-id: 5E1F0A6B-5A9B-4B6C-9D41-0A1B2C3D4E5F
first-lba: 2048
start=2048, size=36MiB, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="EFI system", uuid=0C0FFEE0-1111-4222-8333-444455556666
size=40MiB, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="root", uuid=0C0FFEE0-2222-4222-8333-444455556666
type=0657FD6D-A4AB-43C4-84E5-0933C84B4F4F, name="swap", uuid=0C0FFEE0-3333-4222-8333-444455556666
TABLE

part() { sfdisk --json "$disk" | python3 -c "import json,sys; p=json.load(sys.stdin)['partitiontable']['partitions'][$1]; print(p['start'], p['size'])"; }
read -r s1 n1 < <(part 0)
read -r s2 n2 < <(part 1)
read -r s3 n3 < <(part 2)

mkfs.fat -F 32 -s 1 -n EFI -i 1234ABCD -C "$work/p1" $((n1 / 2)) >/dev/null
MTOOLS_SKIP_CHECK=1 mcopy -s -m -i "$work/p1" "$work/efi/EFI" ::/
mke2fs -q -t ext4 -L root -U 0c0ffee0-aaaa-4bbb-8ccc-ddddeeeeffff -E root_owner=0:0,hash_seed=0c0ffee0-0000-4000-8000-000000000000 -d "$work/root" "$work/p2" $((n2 / 2))k >/dev/null
truncate -s $((n3 * 512)) "$work/p3"
mkswap -L swap -U 0c0ffee0-bbbb-4bbb-8ccc-ddddeeeeffff "$work/p3" >/dev/null 2>&1

dd if="$work/p1" of="$disk" bs=512 seek="$s1" conv=notrunc status=none
dd if="$work/p2" of="$disk" bs=512 seek="$s2" conv=notrunc status=none
dd if="$work/p3" of="$disk" bs=512 seek="$s3" conv=notrunc status=none
qemu-img convert -q -c -f raw -O qcow2 -o compat=1.1 "$disk" disk.qcow2
ls -l disk.qcow2
