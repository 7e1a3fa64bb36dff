/**
 * A study's data: texts in named groups (correct / incorrect code, say), the unit the developmental
 * studies observe at every draw. Defined once for every data set a study can use.
 */

export interface StudySample {
  text: string;
  /** E.g. `correct`, `incorrect`, or any group name a user file gives. */
  group: string;
  /** Samples sharing a pair id are twins: the same problem, solved right and wrong. */
  pair?: number;
  /** A character span [start, end) of `text` whose tokens make the sample's `claim` loss (e.g. a claimed value). */
  claim?: [number, number];
}

export interface StudyData {
  /** The data set's name as the CLI takes it (`binding-correctness`, `code-pairs`, or a file path). */
  name: string;
  samples: StudySample[];
}
