/**
 * The shape of a catalogue entry: data, not code. Each family file in
 * catalogue/ is a list of these objects checked with `satisfies`. The
 * evaluator (evaluate.ts) reads them; README.md explains the conventions.
 */

export type FormatKind = 'container' | 'partition-table' | 'filesystem' | 'archive' | 'compression' | 'volume' | 'other';

export interface Identification {
  /** Catalogue id: 'qcow2', 'vmdk', 'vpc', 'mbr', 'gpt', 'ext4', 'vfat' … */
  id: string;
  kind: FormatKind;
  /** Human name: 'QEMU copy-on-write v2', 'Linux ext4'. */
  name: string;
  /** 'v3', 'FAT32', '1.0' … (for filesystems: what blkid calls VERSION). */
  version?: string;
  label?: string;
  /** Formatted like blkid prints it. */
  uuid?: string;
  /** Bytes the format says it covers (fs size, virtual disk size), when known. */
  size?: number;
  blockSize?: number;
  /** Other facts the entry reads (features, creator …). */
  details?: Record<string, unknown>;
  /** What the user should know before using it ("the journal needs recovery …"). */
  warnings?: string[];
  /** How sure: exact magic + checksum > magic only; used to order matches. */
  confidence: number;
}

// ---------------------------------------------------------------------------
// Numbers read from the device

/** Integer widths. `u16`/`u32`/`u64` use the signature's (or entry's) `endian`. */
export type IntType = 'u8' | 'u16le' | 'u16be' | 'u32le' | 'u32be' | 'u64le' | 'u64be' | 'u16' | 'u32' | 'u64';

/**
 * Where to read. A plain number is relative to the signature's `base`
 * (0 unless the signature sets one); `{ end: n }` is n bytes before the end
 * of the device; `{ abs: n }` ignores the base.
 */
export type Offset = Num | { end: Num } | { abs: Num };

/** An integer field: `{ u32le: 1028 }` reads a little-endian u32 at 1028. */
export type Read =
  | { u8: Offset }
  | { u16le: Offset }
  | { u16be: Offset }
  | { u32le: Offset }
  | { u32be: Offset }
  | { u64le: Offset }
  | { u64be: Offset }
  | { u16: Offset }
  | { u32: Offset }
  | { u64: Offset };

/**
 * A number: a constant, a field, the device size, a value bound by the
 * signature (`let`), or arithmetic on those. Unreadable or out-of-range
 * values make the check that uses them fail (never throw).
 */
export type Num =
  | number
  | 'size'
  | 'sectorSize'
  | Read
  | { var: string }
  | { add: Num[] }
  | { sub: [Num, Num] }
  | { mul: Num[] }
  | { div: [Num, Num] }
  | { shl: [Num, Num] }
  | { and: [Num, number] }
  /** Rounds down to a multiple of the second value. */
  | { alignDown: [Num, number] };

// ---------------------------------------------------------------------------
// Checks

/** Comparisons applied to a number (after `mask`, if given). All given ones must hold. */
export interface Compare {
  is?: Num;
  isNot?: Num;
  oneOf?: readonly number[];
  min?: Num;
  max?: Num;
  /** value & mask before comparing. */
  mask?: number;
  /** At least one of these bits set. */
  anyBits?: number;
  /** None of these bits set. */
  noBits?: number;
  allBits?: number;
  powerOf2?: boolean;
}

export type Check =
  /** Latin-1 text at an offset ('\x7fELF' style escapes allowed). */
  | { at: Offset; ascii: string; caseless?: boolean }
  /** Hex bytes at an offset, spaces allowed: '51 46 49 fb'. */
  | { at: Offset; hex: string }
  /** An integer field compared: `{ u16le: 1080, is: 0xef53 }`. */
  | (Read & Compare)
  /** A computed number compared: `{ num: { mul: [...] }, max: 'size' }`. */
  | ({ num: Num } & Compare)
  | { all: readonly Check[] }
  | { any: readonly Check[] }
  | { not: Check }
  /** Another catalogue entry matches this device (for exclusions: MBR is not a FAT boot sector). */
  | { format: string }
  /** The device is at least this many bytes. */
  | { minSize: Num };

// ---------------------------------------------------------------------------
// Fields

export type TextEncoding = 'ascii' | 'latin1' | 'utf8' | 'utf16le' | 'utf16be';

/** A text field: cut at the first NUL, trailing spaces and NULs trimmed; empty means absent. */
export interface Text {
  at: Offset;
  /** Bytes (a number read elsewhere allowed); capped by the reader's request limit. */
  len: Num;
  enc?: TextEncoding;
  /** Keep leading/trailing spaces (default: trim the end). */
  raw?: boolean;
}

/**
 * How a UUID or serial is printed, the way blkid does:
 * - uuid:    16 bytes → 8-4-4-4-12 lowercase hex
 * - guid:    16 bytes, first three groups little-endian (GPT, Microsoft)
 * - serial4: 4 bytes LE → 'ABCD-1234' (FAT, exFAT)
 * - serial8: 8 bytes LE → '0123456789ABCDEF' (NTFS)
 * - hex:     `len` bytes → lowercase hex
 * - hex32le: u32 LE → 8 lowercase hex digits (MBR disk id)
 * - text:    stored as ASCII text (LUKS)
 * - lvm:     32 ASCII chars → 6-4-4-4-4-4-6
 * - md:      16 bytes → 4 colon-separated groups of 8 hex digits
 * - isodate: 16 ASCII digits → 'YYYY-MM-DD-HH-MM-SS-CC'
 */
export type UuidFormat = 'uuid' | 'guid' | 'serial4' | 'serial8' | 'hex' | 'hex32le' | 'text' | 'lvm' | 'md' | 'isodate';

export interface Uuid {
  at: Offset;
  format: UuidFormat;
  /** Byte count for 'hex' and 'text' (default 16). */
  len?: number;
}

/** A number printed in lowercase hex, zero-padded to `digits`. */
export interface Hex {
  hex: Num;
  digits?: number;
}

/** Text pieces joined: strings are literal, numbers are printed in decimal (or hex with `Hex`). */
export interface Join {
  join: ReadonlyArray<string | Num | Text | Hex>;
}

/** A number named by a table; unknown values print in decimal (or are dropped when `strict`). */
export interface Named {
  num: Num;
  names: Readonly<Record<number, string>>;
  strict?: boolean;
}

/** Names of the bits set in a flags field (unknown bits as 0x…). */
export interface Flags {
  flags: Num;
  names: Readonly<Record<number, string>>;
}

export type Value = string | Num | Text | Uuid | Hex | Join | Named | Flags;

export interface Fields {
  label?: Text;
  /** A byte field printed as blkid does, or text joined from numbers (all-zero results count as unset). */
  uuid?: Uuid | Join;
  version?: Value;
  size?: Num;
  blockSize?: Num;
  details?: Readonly<Record<string, Value>>;
  /** Things a user must hear about this volume, each shown when its check holds (a journal that needs replay …). */
  warnings?: ReadonlyArray<{ readonly when: Check; readonly text: string }>;
}

// ---------------------------------------------------------------------------
// Entries

/** One way a format can be recognised. */
export interface Signature {
  /** Where this signature's structure starts (offsets in checks and fields are relative to it). */
  base?: Offset;
  endian?: 'le' | 'be';
  /** Values to bind in order, usable as `{ var: name }` in later values, checks and fields. */
  let?: Readonly<Record<string, Num>>;
  /** All must hold. */
  checks: readonly Check[];
  /** Fields for this signature only (they override the entry's). */
  fields?: Fields;
  /** Overrides the confidence computed from the checks (0..1). */
  confidence?: number;
}

export interface Drivers {
  /** Native TypeScript driver id, when one exists or is planned. */
  native?: string;
  /** Guest (Linux kernel) filesystem type for `mount -t`. */
  guest?: string;
}

export interface FormatEntry {
  id: string;
  kind: FormatKind;
  name: string;
  /** Default endianness for `u16`/`u32`/`u64` reads. */
  endian?: 'le' | 'be';
  /** Any one may match; the first that does is used. */
  signatures: readonly Signature[];
  fields?: Fields;
  /** A named function (refine/index.ts) for what data cannot say: cluster counts, checksums. */
  refine?: string;
  drivers?: Drivers;
  /** How other tools name it, so tests can compare with them. */
  aka?: {
    /** `blkid -p` TYPE (filesystems, volumes) or PTTYPE (partition tables). */
    blkid?: string;
    /** `qemu-img info` format. */
    qemu?: string;
    /** A regular expression `file -b` output matches. */
    file?: string;
    /** `parted print` partition table type. */
    parted?: string;
  };
}
