// A MaxMind DB (.mmdb) read from its file as lookups need it, through a cache of 4 MiB of pages,
// instead of held whole in memory: `maxmind.open` reads the bundled DB-IP files into 128 MiB of
// buffers, a third of the idle process. Written to the format's published specification (search
// tree of 24-, 28- or 32-bit records, then the data section). The trade-off, taken because
// GeoIp caches each address's place: a first look-up of an address reads a few pages from the
// file (page cache of the OS) rather than memory.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { isIP } from 'node:net';

const PAGE = 4096;
const MARKER = Buffer.from('abcdef4d61784d696e642e636f6d', 'hex'); // \xAB\xCD\xEF + "MaxMind.com"

type Value = unknown;

export class MmdbFile {
  private readonly fd: number;
  private readonly pages = new Map<number, Buffer>();
  readonly metadata: { node_count: number; record_size: number; ip_version: number; database_type: string };
  private readonly treeSize: number;
  private ipv4Start = 0;

  constructor(
    path: string,
    /** Pages kept (4 KiB each, 4 MiB in all by default): the upper levels of the tree stay in them. */
    private readonly maxPages = 1024,
  ) {
    this.fd = openSync(path, 'r');
    const size = fstatSync(this.fd).size;
    const tailLength = Math.min(size, 128 * 1024);
    const tail = Buffer.alloc(tailLength);
    readSync(this.fd, tail, 0, tailLength, size - tailLength);
    const at = tail.lastIndexOf(MARKER);
    if (at < 0) {
      closeSync(this.fd);
      throw new Error(`${path} is not a MaxMind DB file (no metadata marker)`);
    }
    const metadataStart = size - tailLength + at + MARKER.length;
    this.metadata = this.decode(metadataStart, metadataStart)[0] as MmdbFile['metadata'];
    const { node_count: nodes, record_size: bits } = this.metadata;
    if (![24, 28, 32].includes(bits)) throw new Error(`${path}: unsupported record size ${bits}`);
    this.treeSize = (nodes * bits * 2) / 8;
    if (this.metadata.ip_version === 6) {
      // IPv4 addresses live under ::/96 (96 zero bits from the root).
      let node = 0;
      for (let i = 0; i < 96 && node < nodes; i++) node = this.record(node, 0);
      this.ipv4Start = node;
    }
  }

  /** The record of an address; null when the database has none. */
  get(ip: string): Value {
    const kind = isIP(ip);
    if (kind === 0) throw new Error(`not an IP address: ${ip}`);
    const bytes = kind === 4 ? ipv4Bytes(ip) : ipv6Bytes(ip);
    if (kind === 6 && this.metadata.ip_version === 4) return null;
    const nodes = this.metadata.node_count;
    let node = kind === 4 ? this.ipv4Start : 0;
    for (let i = 0; i < bytes.length * 8 && node < nodes; i++)
      node = this.record(node, (bytes[i >> 3]! >> (7 - (i & 7))) & 1);
    if (node <= nodes) return null;
    // A record past the node count points into the data section, 16 bytes after the tree.
    const dataStart = this.treeSize + 16;
    return this.decode(node - nodes - 16 + dataStart, dataStart)[0];
  }

  close(): void {
    closeSync(this.fd);
    this.pages.clear();
  }

  private record(node: number, bit: number): number {
    const bits = this.metadata.record_size;
    const size = bits / 4; // bytes per node: two records
    const at = node * size;
    const offset = at % PAGE;
    // A node's bytes are read from one page (a page boundary inside a node is rare: byte by byte).
    const b = offset + size <= PAGE ? this.page(Math.floor(at / PAGE)) : this.bytes(at, size);
    const i = offset + size <= PAGE ? offset : 0;
    if (bits === 24) {
      const j = i + bit * 3;
      return (b[j]! << 16) | (b[j + 1]! << 8) | b[j + 2]!;
    }
    if (bits === 32) return b.readUInt32BE(i + bit * 4);
    // 28 bits: the middle byte's high nibble belongs to the left record, its low one to the right.
    const middle = b[i + 3]!;
    return bit === 0
      ? ((middle & 0xf0) << 20) + ((b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!)
      : ((middle & 0x0f) << 24) + ((b[i + 4]! << 16) | (b[i + 5]! << 8) | b[i + 6]!);
  }

  /** Decodes the value at `at`: [value, the offset after it]. Pointers are relative to `dataStart`. */
  private decode(at: number, dataStart: number): [Value, number] {
    const control = this.byte(at++);
    let type = control >> 5;
    if (type === 1) {
      const size = (control >> 3) & 3;
      const high = control & 7;
      let pointer: number;
      if (size === 0) pointer = (high << 8) + this.byte(at);
      else if (size === 1) pointer = (high << 16) + this.uint(at, 2) + 2048;
      else if (size === 2) pointer = high * 2 ** 24 + this.uint(at, 3) + 526_336;
      else pointer = this.uint(at, 4);
      return [this.decode(dataStart + pointer, dataStart)[0], at + size + 1];
    }
    if (type === 0) type = 7 + this.byte(at++);
    let size = control & 0x1f;
    if (size >= 29) {
      // 29, 30 and 31 say the size follows in 1, 2 or 3 bytes, added to 29, 285 or 65,821.
      const extra = size - 28;
      size = [29, 285, 65_821][extra - 1]! + this.uint(at, extra);
      at += extra;
    }
    switch (type) {
      case 2:
        return [this.bytes(at, size).toString('utf8'), at + size];
      case 3:
        return [this.bytes(at, 8).readDoubleBE(0), at + 8];
      case 4:
        return [Buffer.from(this.bytes(at, size)), at + size];
      case 5:
      case 6:
        return [size === 0 ? 0 : this.uint(at, size), at + size];
      case 8:
        return [size === 0 ? 0 : this.bytes(at, size).readIntBE(0, size), at + size];
      case 9:
      case 10: {
        let value = 0n;
        for (const b of this.bytes(at, size)) value = (value << 8n) + BigInt(b);
        return [size <= 6 ? Number(value) : value, at + size];
      }
      case 7: {
        const map: Record<string, Value> = {};
        for (let i = 0; i < size; i++) {
          const [key, afterKey] = this.decode(at, dataStart);
          const [value, afterValue] = this.decode(afterKey, dataStart);
          map[String(key)] = value;
          at = afterValue;
        }
        return [map, at];
      }
      case 11: {
        const list: Value[] = [];
        for (let i = 0; i < size; i++) {
          const [value, after] = this.decode(at, dataStart);
          list.push(value);
          at = after;
        }
        return [list, at];
      }
      case 14:
        return [size !== 0, at];
      case 15:
        return [this.bytes(at, 4).readFloatBE(0), at + 4];
      default:
        throw new Error(`MaxMind DB: unknown data type ${type} at byte ${at - 1}`);
    }
  }

  private uint(at: number, length: number): number {
    let value = 0;
    for (let i = 0; i < length; i++) value = value * 256 + this.byte(at + i);
    return value;
  }

  private byte(at: number): number {
    return this.page(Math.floor(at / PAGE))[at % PAGE]!;
  }

  private bytes(at: number, length: number): Buffer {
    const first = Math.floor(at / PAGE);
    const last = Math.floor((at + length - 1) / PAGE);
    if (length === 0) return Buffer.alloc(0);
    if (first === last) return this.page(first).subarray(at % PAGE, (at % PAGE) + length);
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i++) out[i] = this.byte(at + i);
    return out;
  }

  private page(n: number): Buffer {
    let page = this.pages.get(n);
    // First in, first out: reordering on every hit cost more than the misses it saved.
    if (page) return page;
    page = Buffer.allocUnsafeSlow(PAGE);
    readSync(this.fd, page, 0, PAGE, n * PAGE);
    this.pages.set(n, page);
    if (this.pages.size > this.maxPages) this.pages.delete(this.pages.keys().next().value!);
    return page;
  }
}

function ipv4Bytes(ip: string): number[] {
  return ip.split('.').map(Number);
}

function ipv6Bytes(ip: string): number[] {
  let text = ip;
  const tail: number[] = [];
  // A dotted IPv4 tail (::ffff:1.2.3.4) is its last two groups.
  const dot = text.lastIndexOf('.');
  if (dot >= 0) {
    const colon = text.lastIndexOf(':');
    tail.push(...ipv4Bytes(text.slice(colon + 1)));
    text = `${text.slice(0, colon + 1)}0:0`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const groups = (part: string | undefined) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const front = groups(head);
  const back = groups(rest);
  const all =
    rest === undefined ? front : [...front, ...Array<number>(8 - front.length - back.length).fill(0), ...back];
  const bytes = all.flatMap((g) => [g >> 8, g & 0xff]);
  if (tail.length) bytes.splice(12, 4, ...tail);
  return bytes;
}
