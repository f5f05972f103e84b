package io.bloomj.cli;

import io.bloomj.tensor.ProgressListener;

import java.io.PrintWriter;
import java.util.function.LongConsumer;

/**
 * Progress of long work in bytes: a self-rewriting line with percentage, size, rate and ETA on a
 * terminal; nothing but a final line when output is redirected (logs stay readable).
 */
final class Progress implements LongConsumer {
    private final PrintWriter err;
    private final String label;
    private final long total;
    private final boolean terminal = System.console() != null;
    private final long start = System.nanoTime();
    private long lastDraw;

    Progress(PrintWriter err, String label, long total) {
        this.err = err;
        this.label = label;
        this.total = total;
    }

    @Override
    public void accept(long done) {
        long now = System.nanoTime();
        if (!terminal || (now - lastDraw < 200_000_000L && done < total)) return;
        lastDraw = now;
        double seconds = Math.max(1e-9, (now - start) / 1e9);
        double rate = done / seconds;
        long eta = rate > 0 ? (long) ((total - done) / rate) : 0;
        err.printf("\r%s %3d%%  %s / %s  %s/s  ETA %ds   ", label, total == 0 ? 100 : (int) (100 * done / total),
                Sizes.bytes(done), Sizes.bytes(total), Sizes.bytes((long) rate), eta);
        err.flush();
    }

    /** A listener that draws one progress line per stage and closes it when the stage completes. */
    static ProgressListener listener(PrintWriter err) {
        return new ProgressListener() {
            private Progress current;
            private String stage;

            @Override
            public void progress(String s, long done, long total) {
                if (current == null || !s.equals(stage)) {
                    current = new Progress(err, s, total);
                    stage = s;
                }
                current.accept(done);
                if (done >= total) {
                    current.done();
                    current = null;
                    stage = null;
                }
            }
        };
    }

    void done() {
        double seconds = (System.nanoTime() - start) / 1e9;
        err.printf("%s%s done: %s in %.1f s%n", terminal ? "\r" : "", label, Sizes.bytes(total), seconds);
        err.flush();
    }
}
