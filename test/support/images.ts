/** Image files made for tests: the shapes of input people send, and inputs meant to break things. */
import { crc32, deflateSync } from 'node:zlib';

/** A PNG written byte by byte: lets a test declare any size without sharp allocating it. */
export function handMadePng(
  header: { width: number; height: number; bitDepth: number; colourType: number },
  raw: Buffer,
) {
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const frame = Buffer.alloc(8 + body.length);
    frame.writeUInt32BE(data.length, 0);
    body.copy(frame, 4);
    frame.writeUInt32BE(crc32(body), 4 + body.length);
    return frame;
  };
  const ihdr = Buffer.alloc(13); // compression, filter and interlace bytes stay 0
  ihdr.writeUInt32BE(header.width, 0);
  ihdr.writeUInt32BE(header.height, 4);
  ihdr[8] = header.bitDepth;
  ihdr[9] = header.colourType;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A decompression bomb: 1-bit black PNG of side × side pixels (900 million at 30000) in about 100 KB. */
export function pngBomb(side: number): Buffer {
  const rows = Buffer.alloc((1 + Math.ceil(side / 8)) * side); // each row: filter byte 0, then the bits, all 0
  return handMadePng({ width: side, height: side, bitDepth: 1, colourType: 0 }, rows);
}
