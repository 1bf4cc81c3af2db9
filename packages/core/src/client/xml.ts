/**
 * A tiny, strict reader for the small flat XML documents Target answers with (`<response>…</response>`).
 * It builds an element tree and refuses anything it does not fully understand — a truncated body, a
 * mismatched tag, an unknown entity, a DOCTYPE, text beside child elements — because a lenient reader
 * could turn an HTML error page or a cut-off answer into a "success". No dependency: the documents are tiny.
 */

export interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: readonly XmlElement[];
  /** The decoded text content of a leaf element; '' for an element with children. */
  readonly text: string;
}

/** Thrown for a document this reader refuses; the client turns it into TARGET_BAD_RESPONSE. */
export class XmlSyntaxError extends Error {
  override name = 'XmlSyntaxError';
  constructor(message: string, readonly offset: number) {
    super(`${message} at offset ${offset}`);
  }
}

const NAME = /[A-Za-z_][\w.:-]*/y;
const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const MAX_DEPTH = 32;

/** Parses a whole document and returns its root element. */
export function parseXml(text: string): XmlElement {
  const reader = new Reader(text);
  reader.skipProlog();
  const root = reader.element(0);
  reader.skipMisc();
  if (!reader.atEnd()) reader.fail('content after the root element');
  return root;
}

class Reader {
  private pos = 0;
  constructor(private readonly text: string) {
    // A byte-order mark is legal before the prolog.
    if (text.charCodeAt(0) === 0xfeff) this.pos = 1;
  }

  fail(message: string): never {
    throw new XmlSyntaxError(message, this.pos);
  }

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  skipProlog(): void {
    this.skipWhitespace();
    if (this.text.startsWith('<?xml', this.pos)) this.skipUntil('?>', 'an unterminated XML declaration');
    this.skipMisc();
    if (this.text.startsWith('<!DOCTYPE', this.pos)) this.fail('a DOCTYPE (not accepted)');
  }

  /** Whitespace and comments (and processing instructions) between markup. */
  skipMisc(): void {
    for (;;) {
      this.skipWhitespace();
      if (this.text.startsWith('<!--', this.pos)) this.skipUntil('-->', 'an unterminated comment');
      else if (this.text.startsWith('<?', this.pos)) this.skipUntil('?>', 'an unterminated processing instruction');
      else return;
    }
  }

  element(depth: number): XmlElement {
    if (depth > MAX_DEPTH) this.fail('elements nested too deep');
    if (this.text[this.pos] !== '<') this.fail(this.atEnd() ? 'unexpected end of document (truncated?)' : 'expected an element');
    this.pos++;
    const name = this.name();
    const attributes = this.attributes();
    if (this.text.startsWith('/>', this.pos)) {
      this.pos += 2;
      return { name, attributes, children: [], text: '' };
    }
    if (this.text[this.pos] !== '>') this.fail(`a malformed start tag <${name}>`);
    this.pos++;

    const children: XmlElement[] = [];
    let text = '';
    let hasText = false;
    for (;;) {
      if (this.atEnd()) this.fail(`unexpected end of document inside <${name}> (truncated?)`);
      if (this.text.startsWith('</', this.pos)) {
        this.pos += 2;
        const closing = this.name();
        if (closing !== name) this.fail(`</${closing}> closes <${name}>`);
        this.skipWhitespace();
        if (this.text[this.pos] !== '>') this.fail(`a malformed end tag </${closing}>`);
        this.pos++;
        break;
      }
      if (this.text.startsWith('<!--', this.pos)) {
        this.skipUntil('-->', 'an unterminated comment');
      } else if (this.text.startsWith('<![CDATA[', this.pos)) {
        const end = this.text.indexOf(']]>', this.pos + 9);
        if (end === -1) this.fail('an unterminated CDATA section');
        text += this.text.slice(this.pos + 9, end);
        hasText = true;
        this.pos = end + 3;
      } else if (this.text[this.pos] === '<') {
        children.push(this.element(depth + 1));
      } else {
        const chunk = this.characters();
        text += chunk;
        if (chunk.trim() !== '') hasText = true;
      }
    }
    // Flat documents only: an element holds text or elements, never both.
    if (children.length > 0 && hasText) this.fail(`<${name}> mixes text and elements`);
    return { name, attributes, children, text: children.length > 0 ? '' : text };
  }

  private name(): string {
    NAME.lastIndex = this.pos;
    const match = NAME.exec(this.text);
    if (!match) this.fail('expected a name');
    this.pos += match[0].length;
    return match[0];
  }

  private attributes(): Record<string, string> {
    const attributes: Record<string, string> = {};
    for (;;) {
      const before = this.pos;
      this.skipWhitespace();
      const next = this.text[this.pos];
      if (next === '>' || next === '/' || next === undefined) return attributes;
      if (this.pos === before) this.fail('expected whitespace before an attribute');
      const name = this.name();
      this.skipWhitespace();
      if (this.text[this.pos] !== '=') this.fail(`attribute ${name} without a value`);
      this.pos++;
      this.skipWhitespace();
      const quote = this.text[this.pos];
      if (quote !== '"' && quote !== "'") this.fail(`attribute ${name} without quotes`);
      const end = this.text.indexOf(quote, this.pos + 1);
      if (end === -1) this.fail(`an unterminated attribute ${name}`);
      if (Object.hasOwn(attributes, name)) this.fail(`a repeated attribute ${name}`);
      attributes[name] = this.decode(this.text.slice(this.pos + 1, end), this.pos + 1);
      this.pos = end + 1;
    }
  }

  private characters(): string {
    const end = this.text.indexOf('<', this.pos);
    const stop = end === -1 ? this.text.length : end;
    const raw = this.text.slice(this.pos, stop);
    const decoded = this.decode(raw, this.pos);
    this.pos = stop;
    return decoded;
  }

  /**
   * Decodes entity references. A `&` that does not start one is kept as a literal `&`: Target's own
   * batchStatus URLs have carried an unescaped `&m2Node=00`, and refusing them would refuse real successes.
   */
  private decode(raw: string, offset: number): string {
    if (raw.includes('<')) throw new XmlSyntaxError('a raw < in text', offset);
    return raw.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[A-Za-z][A-Za-z0-9]*);/g, (_match, entity: string, at: number) => {
      const named = ENTITIES[entity];
      if (named !== undefined) return named;
      const codePoint = entity.startsWith('#x') ? parseInt(entity.slice(2), 16) : entity.startsWith('#') ? parseInt(entity.slice(1), 10) : NaN;
      if (!(codePoint >= 1 && codePoint <= 0x10ffff) || (codePoint >= 0xd800 && codePoint <= 0xdfff)) {
        throw new XmlSyntaxError(`an unknown entity &${entity};`, offset + at);
      }
      return String.fromCodePoint(codePoint);
    });
  }

  private skipWhitespace(): void {
    while (this.pos < this.text.length && ' \t\r\n'.includes(this.text[this.pos] as string)) this.pos++;
  }

  private skipUntil(terminator: string, what: string): void {
    const end = this.text.indexOf(terminator, this.pos);
    if (end === -1) this.fail(what);
    this.pos = end + terminator.length;
  }
}

/** The children named `name`. */
export function childrenNamed(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((child) => child.name === name);
}

/** The text of the only child named `name`, undefined when absent; throws when it repeats or is not a leaf. */
export function childText(element: XmlElement, name: string): string | undefined {
  const found = childrenNamed(element, name);
  if (found.length === 0) return undefined;
  if (found.length > 1) throw new XmlSyntaxError(`<${name}> appears ${found.length} times in <${element.name}>`, 0);
  const [only] = found as [XmlElement];
  if (only.children.length > 0) throw new XmlSyntaxError(`<${name}> holds elements, expected text`, 0);
  return only.text;
}

/** Every descendant named `name`, in document order (v2 failed rows may sit in a wrapper element). */
export function descendantsNamed(element: XmlElement, name: string): XmlElement[] {
  const found: XmlElement[] = [];
  const visit = (node: XmlElement): void => {
    for (const child of node.children) {
      if (child.name === name) found.push(child);
      else visit(child);
    }
  };
  visit(element);
  return found;
}
