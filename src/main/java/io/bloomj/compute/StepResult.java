package io.bloomj.compute;

/**
 * What one {@link ExecutionPlan#execute} reports (TornadoVM's execution result plays this part):
 * the time per kernel of this step when profiling is on, else an empty profile.
 */
public record StepResult(Profile profile) {
    private static final StepResult UNPROFILED = new StepResult(new Profile());

    /** The result of a step run without profiling. */
    public static StepResult unprofiled() {
        return UNPROFILED;
    }
}
