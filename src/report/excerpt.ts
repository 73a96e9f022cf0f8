/**
 * Long source lines (generated tables, minified headers) cost a finding no more than a short one: fingerprints, the
 * text report and SARIF columns read a window of the line around the finding, never the whole line.
 */

/** Lines up to this length are kept whole (every line with a finding on the real trees is far shorter). */
export const LONG_LINE = 512;
/** Characters of a source line the text report shows around the column. */
export const SHOWN_WIDTH = 160;

export interface Excerpt {
  text: string;
  /** 1-based column of text[0] in the line. */
  start: number;
  /** The line goes on after text. */
  cutAfter: boolean;
}

/** The line itself when it is short; else LONG_LINE characters around `col`. */
export function excerptOf(line: string, col: number): Excerpt {
  if (line.length <= LONG_LINE) return { text: line, start: 1, cutAfter: false };
  const a = Math.max(0, Math.min(col - 1 - (LONG_LINE >> 2), line.length - LONG_LINE));
  return { text: line.slice(a, a + LONG_LINE), start: a + 1, cutAfter: a + LONG_LINE < line.length };
}

/**
 * Code points before byte column `start` of a line read as Latin-1 (UTF-8 continuation bytes are not counted),
 * from checkpoints every 1024 bytes, made once per line.
 */
export class CodePoints {
  private marks?: Int32Array;
  constructor(private readonly line: string) {}

  before(start: number): number {
    const end = start - 1;
    if (!this.marks) {
      if (!/[\x80-\xff]/.test(this.line)) this.marks = new Int32Array(0);
      else {
        this.marks = new Int32Array((this.line.length >> 10) + 1);
        let n = 0;
        for (let i = 0; i < this.line.length; i++) {
          if ((i & 1023) === 0) this.marks[i >> 10] = n;
          const c = this.line.charCodeAt(i);
          if (c < 0x80 || c > 0xbf) n++;
        }
      }
    }
    if (!this.marks.length) return end;
    let n = this.marks[end >> 10];
    for (let i = end & ~1023; i < end; i++) {
      const c = this.line.charCodeAt(i);
      if (c < 0x80 || c > 0xbf) n++;
    }
    return n;
  }
}
