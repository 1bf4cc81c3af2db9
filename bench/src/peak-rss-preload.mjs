// Loaded with `node --import` into each timed Node child: writes the process's peak RSS in bytes to the file
// named by BENCH_PEAK_RSS_FILE when it exits. Plain JavaScript so that no TypeScript loader runs in the child.
import { writeFileSync } from 'node:fs';
import process from 'node:process';

const file = process.env.BENCH_PEAK_RSS_FILE;
if (file) {
  process.on('exit', () => {
    writeFileSync(file, String(process.resourceUsage().maxRSS * 1024));
  });
}
