package io.bloomj.cli;

import sun.misc.Signal;

/**
 * Ctrl-C while an answer is being generated stops that answer, not the program: the handler is
 * installed around generation and removed after it; outside generation Ctrl-C behaves as usual.
 */
final class Interrupts {
    private static volatile Runnable action;
    private static boolean installed;

    private Interrupts() {}

    static synchronized void onCtrlC(Runnable r) {
        action = r;
        if (installed || System.console() == null) return;   // only an interactive terminal sends SIGINT meant for us
        try {
            Signal.handle(new Signal("INT"), sig -> {
                Runnable a = action;
                if (a != null) a.run();
                else System.exit(130);
            });
            installed = true;
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            // no signal support here: Ctrl-C keeps its default meaning
        }
    }

    static void clear() {
        action = null;
    }
}
