import test from 'ava';
import fc from 'fast-check';
import { childText, parseXml, XmlSyntaxError } from '../src/client/xml.js';
import type { XmlElement } from '../src/client/xml.js';

const escapeText = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function serialize(element: XmlElement): string {
  const inner = element.children.length > 0 ? element.children.map(serialize).join('\n') : escapeText(element.text);
  return `<${element.name}>${inner}</${element.name}>`;
}

const name = fc.stringMatching(/^[A-Za-z_][\w.-]{0,8}$/);
const text = fc.string({ unit: fc.oneof(fc.constantFrom('&', '<', '>', '"', "'", ' ', '%', '=', 'é', '→', '😀'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 })), maxLength: 20 }).filter((s) => ![...s].some(isForbiddenControl));

/** XML 1.0 allows no C0 control characters but tab, CR and LF. */
function isForbiddenControl(char: string): boolean {
  const code = char.codePointAt(0) ?? 0;
  return code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d;
}
const tree: fc.Arbitrary<XmlElement> = fc.letrec<{ node: XmlElement }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ name, attributes: fc.constant({}), children: fc.constant([]), text }),
    fc.record({ name, attributes: fc.constant({}), children: fc.array(tie('node'), { minLength: 1, maxLength: 4 }), text: fc.constant('') }),
  ),
})).node;

test('property: serialize → parse gives the same tree back', (t) => {
  fc.assert(
    fc.property(tree, (root) => {
      t.deepEqual(parseXml(`<?xml version="1.0" encoding="UTF-8"?>\n${serialize(root)}\n`), root);
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test('property: any truncation of a document is refused', (t) => {
  fc.assert(
    fc.property(tree, fc.nat(), (root, cut) => {
      const document = serialize(root);
      const at = cut % document.length;
      t.throws(() => parseXml(document.slice(0, at)), { instanceOf: XmlSyntaxError });
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test('entities, CDATA, comments, attributes and a BOM are understood', (t) => {
  const root = parseXml('\ufeff<?xml version="1.0"?><!-- hi --><response a="1" b=\'&lt;2\'><m><![CDATA[<raw & text>]]></m><n>&#233;&#x1F600;&quot;</n><e/></response>');
  t.deepEqual(root.attributes, { a: '1', b: '<2' });
  t.is(childText(root, 'm'), '<raw & text>');
  t.is(childText(root, 'n'), 'é😀"');
  t.is(childText(root, 'e'), '');
  t.is(childText(root, 'missing'), undefined);
});

test('malformed documents are refused', (t) => {
  const bad = [
    '',
    'plain text',
    '<a>',
    '<a></b>',
    '<a><b></a></b>',
    '<a>x<b/></a>',
    '<a>&bogus;</a>',
    '<a>&#0;</a>',
    '<a>&#xD800;</a>',
    '<a></a><b></b>',
    '<a></a>trailing',
    '<!DOCTYPE a><a></a>',
    '<a b=1></a>',
    '<a b="1" b="2"></a>',
    '<a><!-- unterminated </a>',
    '<a><![CDATA[ open</a>',
    `${'<a>'.repeat(40)}${'</a>'.repeat(40)}`,
  ];
  for (const document of bad) t.throws(() => parseXml(document), { instanceOf: XmlSyntaxError }, document);
});

test('a repeated element is refused where one is expected', (t) => {
  const root = parseXml('<r><s>1</s><s>2</s></r>');
  t.throws(() => childText(root, 's'), { instanceOf: XmlSyntaxError });
});
