import type { SiteFacts } from '../src/analysis/types';
import type { SiteContext } from '../src/context/context';
import { suggestionNote } from '../src/report/findings';

/** The inferred context of a site (src/context/), if context inference ran. */
export function contextOf(site: SiteFacts): SiteContext | undefined {
  return site.extra?.context as SiteContext | undefined;
}

/** " Suggestion: ..." for messages, or "". */
export function suggestionText(site: SiteFacts): string {
  const s = suggestionNote(site.extra);
  return s ? ` Suggestion: ${s}.` : '';
}

export function evidenceText(c: SiteContext): string {
  return c.evidence.slice(0, 3).join('; ');
}
