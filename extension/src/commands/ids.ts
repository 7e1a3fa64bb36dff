/** Every command the extension contributes; package.json `contributes.commands` lists the same ids. */
export enum CommandId {
  PredictSelection = 'introspect.predictSelection',
  ClearPredictions = 'introspect.clearPredictions',
  TraceVariable = 'introspect.traceVariable',
  OpenRunner = 'introspect.openRunner',
  RunBenchmark = 'introspect.runBenchmark',
  RunStudy = 'introspect.runStudy',
  ChooseModel = 'introspect.chooseModel',
  ChooseDevice = 'introspect.chooseDevice',
  ShowStatus = 'introspect.showStatus',
}
