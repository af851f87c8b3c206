// Draws TokenTray's icons (a key on a rounded square) as PNGs, with no image library:
// `node build/make-icons.mjs` rewrites assets/ and build/icon.png. The PNGs are committed.
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { Buffer } from 'node:buffer';

const CRC = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = CRC[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}
function png(size, pixel) {
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0; // filter: none
    for (let x = 0; x < size; x++) {
      // 4x4 supersampling for smooth edges
      let acc = [0, 0, 0, 0];
      for (let sy = 0; sy < 4; sy++)
        for (let sx = 0; sx < 4; sx++) {
          const p = pixel((x + (sx + 0.5) / 4) / size, (y + (sy + 0.5) / 4) / size);
          acc = acc.map((v, i) => v + (i === 3 ? p[3] : p[i] * p[3]));
        }
      const a = acc[3] / 16;
      const o = y * (size * 4 + 1) + 1 + x * 4;
      raw[o] = a ? Math.round(acc[0] / acc[3]) : 0;
      raw[o + 1] = a ? Math.round(acc[1] / acc[3]) : 0;
      raw[o + 2] = a ? Math.round(acc[2] / acc[3]) : 0;
      raw[o + 3] = Math.round(a * 255);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The key: a ring (bow) at the left, a shaft to the right with two teeth. */
function isKey(u, v) {
  const dx = u - 0.34,
    dy = v - 0.5;
  const r = Math.hypot(dx, dy);
  if (r < 0.17 && r > 0.075) return true;
  if (u > 0.48 && u < 0.82 && Math.abs(v - 0.5) < 0.045) return true;
  if (u > 0.66 && u < 0.72 && v > 0.5 && v < 0.64) return true;
  if (u > 0.76 && u < 0.82 && v > 0.5 && v < 0.6) return true;
  return false;
}
function roundedSquare(u, v, inset, radius) {
  const x = Math.max(Math.abs(u - 0.5) - (0.5 - inset - radius), 0);
  const y = Math.max(Math.abs(v - 0.5) - (0.5 - inset - radius), 0);
  return Math.hypot(x, y) <= radius;
}
const appIcon = (u, v) => (!roundedSquare(u, v, 0.04, 0.2) ? [0, 0, 0, 0] : isKey(u, v) ? [255, 255, 255, 1] : [26, 115, 232, 1]);
// Tray: the key alone, bigger; colour for Windows/Linux, black template for macOS.
const trayKey = (color) => (u, v) => (isKey(0.5 + (u - 0.5) * 0.8, 0.5 + (v - 0.5) * 0.8) ? [...color, 1] : [0, 0, 0, 0]);

writeFileSync('assets/icon.png', png(256, appIcon));
writeFileSync('build/icon.png', png(1024, appIcon));
writeFileSync('assets/tray.png', png(16, trayKey([26, 115, 232])));
writeFileSync('assets/tray@2x.png', png(32, trayKey([26, 115, 232])));
writeFileSync('assets/trayTemplate.png', png(16, trayKey([0, 0, 0])));
writeFileSync('assets/trayTemplate@2x.png', png(32, trayKey([0, 0, 0])));
