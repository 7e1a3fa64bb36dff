/**
 * Child process for the resume-after-kill test: runs a large oracle experiment into the folder
 * given as argv[2] (a fresh run) or resumes the run folder given with --resume.
 */
import { quickExperiment } from '../../engine/src/tasks/config';
import { OracleModel } from '../../engine/src/tasks/oracle';
import { runExperiment } from '../../engine/src/tasks/runner';
import { ModelPool } from '../../engine/src/tasks/textModel';

const [outDir, samples] = process.argv.slice(2);
const config = quickExperiment('kill_test', 'variable_binding', { name: 'binding' }, {
  models: ['oracle-a', 'oracle-b'],
  lengths: [8, 16],
  samplesPerLength: Number(samples),
  batchSize: 1,
});
const pool = new ModelPool(async (name) => new OracleModel(name));
void runExperiment(config, { pool, outDir, plot: false }).then((r) => console.log(r.runDir));
