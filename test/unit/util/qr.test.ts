import assert from 'node:assert/strict';
import test from 'node:test';
import jsQRModule from 'jsqr';
import { QUIET_ZONE, qrLines } from '../../../src/util/qr.js';

// jsqr is CommonJS with an ES-style default: under Node's ESM it is the module object's `default`.
const jsQR = ((jsQRModule as unknown as { default?: typeof jsQRModule }).default ?? jsQRModule) as unknown as (data: Uint8ClampedArray, w: number, h: number) => { data: string } | null;

/** The terminal drawing back to pixels (a light "█" half is white), scaled up, then decoded. */
function decode(lines: string[]): string | undefined {
  const scale = 4;
  const width = [...(lines[0] as string)].length;
  const height = lines.length * 2;
  const pixels = new Uint8ClampedArray(width * scale * height * scale * 4);
  lines.forEach((line, i) => {
    [...line].forEach((ch, c) => {
      const light = [ch === '█' || ch === '▀', ch === '█' || ch === '▄'];
      for (let half = 0; half < 2; half++) {
        const v = light[half] ? 255 : 0;
        for (let dy = 0; dy < scale; dy++) {
          for (let dx = 0; dx < scale; dx++) {
            const y = (i * 2 + half) * scale + dy;
            const x = c * scale + dx;
            const p = (y * width * scale + x) * 4;
            pixels[p] = pixels[p + 1] = pixels[p + 2] = v;
            pixels[p + 3] = 255;
          }
        }
      }
    });
  });
  return jsQR(pixels, width * scale, height * scale)?.data;
}

test('qr - the banner QR code decodes back to the URL it was made of, with its quiet zone', () => {
  for (const url of ['http://192.168.1.23:8080/', 'https://10.0.0.5/', 'http://[fd00::1]:8080/']) {
    const lines = qrLines(url);
    assert.equal(decode(lines), url);
    assert.ok(lines[0]?.split('').every((ch) => ch === '█'), 'a light top margin');
    assert.equal([...(lines[0] as string)].length, [...(lines.at(-1) as string)].length);
    assert.ok([...(lines[0] as string)].length >= 21 + 2 * QUIET_ZONE);
  }
});
