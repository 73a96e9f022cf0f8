/**
 * `fn` with its answers for the last `size` texts kept: a file's text is asked about by several stages
 * in a row (the reader, the analysis, the context scan, the summaries). Texts are compared by value
 * (`===`; the same string object compares at once). Callers share the answers: read them, never
 * change them.
 */
export function lastTexts<T>(size: number, fn: (text: string) => T): (text: string) => T {
  const recent: { text: string; value: T }[] = [];
  return (text: string) => {
    for (let i = 0; i < recent.length; i++) {
      if (recent[i].text !== text) continue;
      const hit = recent[i];
      if (i) recent.unshift(...recent.splice(i, 1));
      return hit.value;
    }
    const value = fn(text);
    if (recent.length === size) recent.pop();
    recent.unshift({ text, value });
    return value;
  };
}
