// CRC-64-AVRO (Rabin) fingerprint of a schema's Parsing Canonical Form, as the Avro
// specification defines it for single-object encoding.
const EMPTY = 0xc15d213aa4d7a795n;
const MASK64 = 0xffffffffffffffffn;

const TABLE: bigint[] = Array.from({ length: 256 }, (_, i) => {
  let fp = BigInt(i);
  for (let j = 0; j < 8; j++) fp = fp & 1n ? (fp >> 1n) ^ EMPTY : fp >> 1n;
  return fp;
});

/** The 64-bit fingerprint as an unsigned bigint. */
export function crc64Avro(data: Uint8Array): bigint {
  let fp = EMPTY;
  for (const byte of data) fp = ((fp >> 8n) ^ TABLE[Number((fp ^ BigInt(byte)) & 0xffn)]!) & MASK64;
  return fp;
}

/** The fingerprint as the 8 little-endian bytes single-object encoding puts after its marker. */
export function crc64AvroBytes(data: Uint8Array): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE(crc64Avro(data));
  return out;
}
