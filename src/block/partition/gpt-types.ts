/** GPT partition type GUIDs → names (lowercase GUIDs; the common ones across systems). */
export const GPT_TYPE_NAMES: Readonly<Record<string, string>> = {
  'c12a7328-f81f-11d2-ba4b-00a0c93ec93b': 'EFI System',
  '024dee41-33e7-11d3-9d69-0008c781f39f': 'MBR partition scheme',
  '21686148-6449-6e6f-744e-656564454649': 'BIOS boot',
  'd3bfe2de-3daf-11df-ba40-e3a556d89593': 'Intel Fast Flash',
  // Microsoft
  'e3c9e316-0b5c-4db8-817d-f92df00215ae': 'Microsoft reserved',
  'ebd0a0a2-b9e5-4433-87c0-68b6b72699c7': 'Microsoft basic data',
  '5808c8aa-7e8f-42e0-85d2-e1e90434cfb3': 'Microsoft LDM metadata',
  'af9b60a0-1431-4f62-bc68-3311714a69ad': 'Microsoft LDM data',
  'de94bba4-06d1-4d40-a16a-bfd50179d6ac': 'Windows recovery environment',
  'e75caf8f-f680-4cee-afa3-b001e56efc2d': 'Microsoft Storage Spaces',
  // Linux
  '0fc63daf-8483-4772-8e79-3d69d8477de4': 'Linux filesystem',
  '0657fd6d-a4ab-43c4-84e5-0933c84b4f4f': 'Linux swap',
  'e6d6d379-f507-44c2-a23c-238f2a3df928': 'Linux LVM',
  'a19d880f-05fc-4d3b-a006-743f0f84911e': 'Linux RAID',
  '933ac7e1-2eb4-4f13-b844-0e14e2aef915': 'Linux home',
  '3b8f8425-20e0-4f3b-907f-1a25a76f98e8': 'Linux server data',
  'bc13c2ff-59e6-4262-a352-b275fd6f7172': 'Linux extended boot',
  'ca7d7ccb-63ed-4c53-861c-1742536059cc': 'Linux LUKS',
  '7ffec5c9-2d00-49b7-8941-3ea10a5586b7': 'Linux dm-crypt',
  '8da63339-0007-60c0-c436-083ac8230908': 'Linux reserved',
  '4f68bce3-e8cd-4db1-96e7-fbcaf984b709': 'Linux root (x86-64)',
  '44479540-f297-41b2-9af7-d131d5f0458a': 'Linux root (x86)',
  'b921b045-1df0-41c3-af44-4c6f280d3fae': 'Linux root (ARM-64)',
  '69dad710-2ce4-4e3c-b16c-21a1d49abed3': 'Linux root (ARM)',
  '4d21b016-b534-45c2-a9fb-5c16e091fd2d': 'Linux variable data',
  '7ec6f557-3bc5-4aca-b293-16ef5df639d1': 'Linux temporary data',
  '8484680c-9521-48c6-9c11-b0720656f69e': 'Linux /usr (x86-64)',
  // Apple
  '48465300-0000-11aa-aa11-00306543ecac': 'Apple HFS/HFS+',
  '7c3457ef-0000-11aa-aa11-00306543ecac': 'Apple APFS',
  '55465300-0000-11aa-aa11-00306543ecac': 'Apple UFS',
  '52414944-0000-11aa-aa11-00306543ecac': 'Apple RAID',
  '426f6f74-0000-11aa-aa11-00306543ecac': 'Apple boot',
  '4c616265-6c00-11aa-aa11-00306543ecac': 'Apple label',
  '5265636f-7665-11aa-aa11-00306543ecac': 'Apple TV recovery',
  '53746f72-6167-11aa-aa11-00306543ecac': 'Apple Core Storage',
  // BSD
  '83bd6b9d-7f41-11dc-be0b-001560b84f0f': 'FreeBSD boot',
  '516e7cb4-6ecf-11d6-8ff8-00022d09712b': 'FreeBSD disklabel',
  '516e7cb5-6ecf-11d6-8ff8-00022d09712b': 'FreeBSD swap',
  '516e7cb6-6ecf-11d6-8ff8-00022d09712b': 'FreeBSD UFS',
  '516e7cb8-6ecf-11d6-8ff8-00022d09712b': 'FreeBSD Vinum',
  '516e7cba-6ecf-11d6-8ff8-00022d09712b': 'FreeBSD ZFS',
  '824cc7a0-36a8-11e3-890a-952519ad3f61': 'OpenBSD data',
  '49f48d32-b10e-11dc-b99b-0019d1879648': 'NetBSD swap',
  '49f48d5a-b10e-11dc-b99b-0019d1879648': 'NetBSD FFS',
  '49f48d82-b10e-11dc-b99b-0019d1879648': 'NetBSD LFS',
  '49f48daa-b10e-11dc-b99b-0019d1879648': 'NetBSD RAID',
  '2db519c4-b10f-11dc-b99b-0019d1879648': 'NetBSD concatenated',
  '2db519ec-b10f-11dc-b99b-0019d1879648': 'NetBSD encrypted',
  // ChromeOS
  'fe3a2a5d-4f32-41a7-b725-accc3285a309': 'ChromeOS kernel',
  '3cb8e202-3b7e-47dd-8a3c-7ff2a13cfcec': 'ChromeOS root fs',
  '2e0a753d-9e48-43b0-8337-b15192cb1b5e': 'ChromeOS reserved',
  'cab6e88e-abf3-4102-a07a-d4bb9be3c1d3': 'ChromeOS firmware',
  '09845860-705f-4bb5-b16c-8a8a099caf52': 'ChromeOS MiniOS',
  // Others
  '6a82cb45-1dd2-11b2-99a6-080020736631': 'Solaris boot',
  '6a85cf4d-1dd2-11b2-99a6-080020736631': 'Solaris root',
  '6a898cc3-1dd2-11b2-99a6-080020736631': 'Solaris /usr & Apple ZFS',
  'aa31e02a-400f-11db-9590-000c2911d1b8': 'VMware VMFS',
  '9d275380-40ad-11db-bf97-000c2911d1b8': 'VMware diagnostic',
  '42465331-3ba3-10f1-802a-4861696b7521': 'Haiku BFS',
  '45b0969e-9b03-4f30-b4c6-b4b80ceff106': 'Ceph journal',
  '4fbd7e29-9d25-41b8-afd0-062c0ceff05d': 'Ceph OSD',
};

/** GPT attribute bits → flag names. Bits 60–63 as Microsoft basic data (and systemd) use them. */
export const GPT_ATTRIBUTE_FLAGS: ReadonlyArray<readonly [bit: number, flag: string]> = [
  [0, 'required'],
  [1, 'no-block-io'],
  [2, 'legacy-bios-bootable'],
  [60, 'read-only'],
  [61, 'shadow-copy'],
  [62, 'hidden'],
  [63, 'no-automount'],
];

/** Flags for an attribute word given as low and high 32-bit halves; unnamed set bits become 'gpt-attr-N'. */
export function gptAttributeFlags(low: number, high: number): string[] {
  const flags: string[] = [];
  const named = new Map(GPT_ATTRIBUTE_FLAGS.map(([b, f]) => [b, f]));
  for (let bit = 0; bit < 64; bit++) {
    const set = bit < 32 ? (low >>> bit) & 1 : (high >>> (bit - 32)) & 1;
    if (set) flags.push(named.get(bit) ?? `gpt-attr-${bit}`);
  }
  return flags;
}
