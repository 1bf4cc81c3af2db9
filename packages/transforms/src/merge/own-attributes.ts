/**
 * Safe reads and writes of attribute records. Attribute names come from user files, so a column named
 * `__proto__` must become an own property, not the object's prototype.
 */

export function ownValue(attributes: Record<string, string>, name: string): string | undefined {
  return Object.hasOwn(attributes, name) ? attributes[name] : undefined;
}

export function setOwn(attributes: Record<string, string>, name: string, value: string): void {
  if (name === '__proto__') Object.defineProperty(attributes, name, { value, writable: true, enumerable: true, configurable: true });
  else attributes[name] = value;
}
