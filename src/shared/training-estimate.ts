/** How long a training run will take, measured with a few of its real steps before it starts (types only). */
export interface TrainingEstimate {
  /** Loading the data and the model, and the first step (which builds the step's graph). */
  setupSeconds: number;
  secondsPerStep: number;
  stepsPerEpoch: number;
  /** One end-of-epoch validation. */
  validationSeconds: number;
  secondsPerEpoch: number;
  /** Setup and every epoch the run asks for. */
  totalSeconds: number;
  /** How many steps were timed (after one to warm up). */
  stepsTimed: number;
}
