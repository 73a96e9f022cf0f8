import { lastTexts } from '../util/memo';

/**
 * Offsets of the first byte of every line (line 1 at index 0). The array is shared by every caller
 * that asks for an equal text (the reader, the analysis, the context scan and the reports each ask
 * for the file's): read it, never change it.
 */
export const lineStarts = lastTexts(4, (text: string): number[] => {
  const s = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) s.push(i + 1);
  return s;
});

/** The 1-based line of an offset, by binary search over lineStarts(). */
export function lineOf(starts: number[], offset: number): number {
  let lo = 0, hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}
