/*
 * One file's text as the summary scans share it (src/summaries/extract.ts summarizeFile): blanked once, its
 * line starts and KNF functions found once. Blanking keeps every newline where it was, so the lines of the
 * text are those of the blanked text.
 */
import { blankNoise } from '../context/textscan';
import { splitKnf } from '../text/knf';
import { lineStarts } from '../text/lines';

export class SummaryText {
  private starts?: number[];
  private blanked?: string;
  private fns?: ReturnType<typeof splitKnf>;

  constructor(readonly text: string) {}

  /** Offsets of the first character of every line (src/text/lines.ts). */
  get lineStarts(): number[] {
    return (this.starts ??= lineStarts(this.text));
  }

  /** The text with comments and literals blanked (blankNoise). */
  get clean(): string {
    return (this.blanked ??= blankNoise(this.text));
  }

  /** The KNF function definitions of the blanked text (splitKnf). Shared: do not change them. */
  get knf(): ReturnType<typeof splitKnf> {
    return (this.fns ??= splitKnf(this.clean, this.lineStarts));
  }
}
