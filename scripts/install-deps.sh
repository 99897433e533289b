#!/bin/sh
# Installs the Debian packages the tests use to make images and to tell the truth about them.
# Run as root (or with sudo). Safe to run again.
set -eu
PACKAGES="
  qemu-utils python3 python3-libvhdi python3-vmdkstream
  fdisk gdisk parted util-linux
  e2fsprogs dosfstools mtools exfatprogs ntfs-3g btrfs-progs xfsprogs f2fs-tools jfsutils reiserfsprogs
  squashfs-tools attr erofs-utils xorriso genisoimage udftools isolinux
  cryptsetup-bin lvm2
  cpio p7zip-full zip zstd xz-utils lz4 bzip2
  file genromfs nilfs-tools hfsutils apfsprogs makefs ocfs2-tools gfs2-utils bcache-tools lzip lzop ncompress arj gcab libarchive-tools
  nginx-light curl
  fuse3 fuse2fs squashfuse rsync
  perl
"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $PACKAGES >/dev/null
