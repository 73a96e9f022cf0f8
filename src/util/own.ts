/**
 * `rec[key]` for the record's own keys only. Model tables are plain objects
 * keyed by C identifiers, and a kernel function may well be called
 * `constructor` or `toString`: those must not find Object.prototype's members.
 */
export function own<T>(rec: Record<string, T> | undefined, key: string): T | undefined {
  return rec !== undefined && Object.prototype.hasOwnProperty.call(rec, key) ? rec[key] : undefined;
}

export function hasOwn(rec: object | undefined, key: string): boolean {
  return rec !== undefined && Object.prototype.hasOwnProperty.call(rec, key);
}

/** A C name that can be a key of a plain object (`__proto__` would set its prototype instead). */
export function keyable(name: string): boolean {
  return name !== '__proto__';
}
