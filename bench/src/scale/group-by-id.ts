/**
 * Writes a copy of a CSV export with each id's rows together, ids in order of first appearance (grouped, not
 * sorted; rows without an id stay where they were): the input `--presorted` expects. A bench utility:
 * it holds the whole export in memory.
 *
 *   node --import=tsx bench/src/scale/group-by-id.ts <in.csv> <out.csv> [id column, default customer_id]
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse';

const [input, output, idColumn = 'customer_id'] = process.argv.slice(2);
if (input === undefined || output === undefined) throw new Error('usage: group-by-id.ts <in.csv> <out.csv> [id column]');

const groups = new Map<string, string[]>();
let header: string | undefined;
let idIndex = -1;
const parser = parse({ raw: true, relax_column_count: true, bom: true });
const reading = pipeline(createReadStream(input), parser);
for await (const { record, raw } of parser as AsyncIterable<{ record: string[]; raw: string }>) {
  if (header === undefined) {
    header = raw;
    idIndex = record.indexOf(idColumn);
    if (idIndex < 0) throw new Error(`no column ${idColumn} in ${input}`);
    continue;
  }
  // Rows without an id stay apart (each its own group): gathered, they would pass the reject ceiling mid-run.
  const id = record[idIndex] || `\0${groups.size}`;
  const group = groups.get(id);
  const line = raw.endsWith('\n') ? raw : `${raw}\n`;
  if (group === undefined) groups.set(id, [line]);
  else group.push(line);
}
await reading;

const out = createWriteStream(output);
out.write(header!.endsWith('\n') ? header! : `${header!}\n`);
for (const lines of groups.values()) {
  for (const line of lines) if (!out.write(line)) await once(out, 'drain');
}
out.end();
await once(out, 'finish');
process.stderr.write(`grouped ${groups.size.toLocaleString('en-US')} ids into ${output}\n`);
