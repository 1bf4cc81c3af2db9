/** The XML bodies of Target's m2 endpoints, built by hand: they are flat and tiny. */

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => XML_ESCAPES[char] ?? char);
}

/** `<response><a>1</a><b>x</b></response>`; values are escaped, undefined fields are left out. */
export function xmlResponse(fields: ReadonlyArray<readonly [string, string | number | boolean | undefined]>, tail = ''): string {
  let body = '<response>';
  for (const [name, value] of fields) {
    if (value === undefined) continue;
    body += `<${name}>${escapeXml(String(value))}</${name}>`;
  }
  return `${body}${tail}</response>`;
}

/** The documented failure shape of the m2 endpoints: `success=false` and a message. */
export function xmlFailure(message: string): string {
  return xmlResponse([
    ['success', false],
    ['message', message],
  ]);
}
