/**
 * A QR code of a URL for the terminal: the start banner shows the browser URL so that students
 * can scan it from the projector. The matrix comes from `qrcode-generator` (no dependencies);
 * this file draws it with half blocks, two rows of modules per line of text, with the quiet
 * zone the standard asks for (4 modules), light on dark as terminals usually are not: the
 * modules are drawn dark-on-light with spaces for dark, so it scans on both backgrounds.
 */
import qrcode from 'qrcode-generator';

/** The modules of the QR code of `text` (error correction M): `true` is dark. */
export function qrMatrix(text: string): boolean[][] {
  const qr = qrcode(0, 'M');
  qr.addData(text, 'Byte');
  qr.make();
  const n = qr.getModuleCount();
  const rows: boolean[][] = [];
  for (let r = 0; r < n; r++) {
    const row: boolean[] = [];
    for (let c = 0; c < n; c++) row.push(qr.isDark(r, c));
    rows.push(row);
  }
  return rows;
}

/** Modules of light margin around the code. */
export const QUIET_ZONE = 4;

/**
 * The code as lines of text: each character is two modules, one above the other (`█` both
 * light, `▀` top light, `▄` bottom light, space both dark), so the code is drawn in the
 * terminal's background colour on a block of its foreground colour: dark modules on a light field.
 */
export function qrLines(text: string): string[] {
  const matrix = qrMatrix(text);
  const n = matrix.length;
  const size = n + 2 * QUIET_ZONE;
  const dark = (r: number, c: number): boolean => {
    const rr = r - QUIET_ZONE;
    const cc = c - QUIET_ZONE;
    return rr >= 0 && rr < n && cc >= 0 && cc < n && (matrix[rr] as boolean[])[cc] === true;
  };
  const lines: string[] = [];
  for (let r = 0; r < size; r += 2) {
    let line = '';
    for (let c = 0; c < size; c++) {
      const top = !dark(r, c);
      const bottom = r + 1 < size ? !dark(r + 1, c) : false;
      line += top && bottom ? '█' : top ? '▀' : bottom ? '▄' : ' ';
    }
    lines.push(line);
  }
  return lines;
}
