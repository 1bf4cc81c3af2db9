/**
 * Which command lines start the encode worker before the CLI has even loaded (see
 * @bulkpipe/transforms/prewarm): the commands that merge file inputs or stdin on two threads. A guess from argv alone;
 * a worker started for nothing (say `--threads 1` in a config file) is unref'd and costs only its startup.
 */
const PIPELINE_COMMANDS = new Set(['split', 'validate', 'run', 'demo']);

export function wantsEncodeWorker(argv: readonly string[]): boolean {
  if (!PIPELINE_COMMANDS.has(argv[0] ?? '')) return false;
  if (argv.includes('--help') || argv.includes('-h')) return false;
  const threads = argv.findIndex((arg) => arg === '--threads');
  return !(argv.includes('--threads=1') || (threads >= 0 && argv[threads + 1] === '1'));
}
