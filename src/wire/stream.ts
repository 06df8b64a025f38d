/** Docker's multiplexed stream: an 8-byte header [stream, 0, 0, 0, size (big-endian u32)] per frame. */
export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;

export function frame(stream: number, data: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(data.length, 4);
  return Buffer.concat([header, data]);
}

/** Parse frames back (used by the client and tests). Returns complete frames and the rest. */
export function deframe(buf: Buffer): { frames: { stream: number; data: Buffer }[]; rest: Buffer } {
  const frames: { stream: number; data: Buffer }[] = [];
  let off = 0;
  while (buf.length - off >= 8) {
    const size = buf.readUInt32BE(off + 4);
    if (buf.length - off - 8 < size) break;
    frames.push({ stream: buf[off], data: buf.subarray(off + 8, off + 8 + size) });
    off += 8 + size;
  }
  return { frames, rest: buf.subarray(off) };
}
