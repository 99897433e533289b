/**
 * The mount options both ways of mounting share, as the kernel's
 * fuse_parse_param and fusermount3 know them.
 */

export interface KernelMountOptions {
  /** Source shown in /proc/mounts (the image's name): the mount source as root, fsname= for fusermount3. */
  fsname: string;
  /** Type shown in /proc/mounts: `fuse.<subtype>`. */
  subtype: string;
  readOnly: boolean;
  /** Let other users in (root: always allowed; users: needs user_allow_other in /etc/fuse.conf). */
  allowOther: boolean;
  /** Uid and gid of the mounting user, whom the kernel lets in without allow_other. */
  uid: number;
  gid: number;
}

/** A value that cannot break the comma-separated option list. */
export function optionValue(s: string): string {
  return s.replace(/[,\\\s]/g, '_');
}

/**
 * default_permissions always: the kernel checks modes and owners with the
 * attributes we report, so drivers never see a request the caller may not
 * make. nosuid and nodev: an image's setuid files and device nodes are
 * data, not privileges.
 */
export function commonOptions(o: KernelMountOptions): string[] {
  const opts = ['default_permissions', 'nosuid', 'nodev'];
  if (o.readOnly) opts.push('ro');
  if (o.allowOther) opts.push('allow_other');
  return opts;
}
