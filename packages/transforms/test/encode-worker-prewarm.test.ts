/**
 * The prewarmed encode worker is sized for one path (fast lane or records): a run takes it only when its inputs
 * take that path. Prewarming works only from the built package (under tsx it is a no-op), so this imports dist.
 */
import test from 'ava';
import { prewarmEncodeWorker, takePrewarmedWorker, workerLimits } from '../dist/parallel/encode-worker-prewarm.js';

test('the fast lane gets a small young generation; the record path, whose garbage dies young, a large one', (t) => {
  t.true(workerLimits(true).maxYoungGenerationSizeMb! < workerLimits(false).maxYoungGenerationSizeMb!);
});

test('a worker prewarmed for the other path is ended, not handed out; one for the same path is', async (t) => {
  prewarmEncodeWorker(true);
  t.is(takePrewarmedWorker(false), undefined);
  t.is(takePrewarmedWorker(true), undefined, 'the mismatched worker is gone, not kept for later');

  prewarmEncodeWorker(false);
  const worker = takePrewarmedWorker(false);
  t.truthy(worker);
  t.is(takePrewarmedWorker(false), undefined, 'handed out once');
  await worker!.terminate();
});
