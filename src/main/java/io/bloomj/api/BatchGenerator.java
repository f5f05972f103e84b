package io.bloomj.api;

import io.bloomj.BloomjException;
import io.bloomj.ClosedException;
import io.bloomj.ContextLengthException;
import io.bloomj.InvalidInputException;
import io.bloomj.QueueFullException;
import io.bloomj.compute.SamplingParams;
import io.bloomj.engine.BatchEngine;
import io.bloomj.tokenizer.BloomTokenizer;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Continuous batching: requests are queued, a scheduler thread admits them into the running
 * batch at the next step as soon as a slot and their KV blocks are free, and every step decodes
 * one token for each running sequence while prefilling waiting prompts in chunks next to them.
 * Finished and cancelled sequences leave at once, freeing their slot and blocks.
 *
 * <p>A sequence's tokens are exactly those it would get alone (its rows' arithmetic never depends
 * on the other rows of a step). Listeners run on the scheduler thread: keep them short (hand the
 * text to another thread to write it to a network). Thread-safe.
 */
public final class BatchGenerator implements AutoCloseable {
    /** Counters for monitoring (a server's /metrics). */
    public interface Observer {
        Observer NONE = new Observer() { };

        /** A sequence got its first token, {@code seconds} after it was submitted. */
        default void firstToken(double seconds) { }

        /** A running sequence got another token, {@code seconds} after its previous one. */
        default void nextToken(double seconds) { }

        /** A step ran: {@code rows} tokens, of which {@code prompt} prompt tokens. */
        default void step(int rows, int prompt) { }

        /** A sequence ended (its result's finish reason), or failed ({@code reason} null). */
        default void finished(FinishReason reason) { }
    }

    private final BatchEngine engine;
    private final BatchOptions options;
    private final BloomTokenizer tokenizer;
    private final int eos;
    private final int vocab;
    private final int context;
    private final Observer observer;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<Pending> waiting = new ArrayDeque<>();
    private final List<Running> running = new ArrayList<>();
    private final Thread scheduler;
    private volatile boolean accepting = true;
    private volatile boolean stopping;
    private volatile int runningCount;

    private record Pending(int[] prompt, GenerationConfig config, GenerationListener listener, Cancellation cancel,
                           CompletableFuture<GenerationResult> result, long submitted, int reserve) {}

    private static final class Running {
        final Pending request;
        final BatchEngine.Member member;
        final Generation generation;
        int prefilled;
        long lastToken;

        Running(Pending request, BatchEngine.Member member, Generation generation) {
            this.request = request;
            this.member = member;
            this.generation = generation;
        }

        boolean decoding() {
            return prefilled == request.prompt.length;
        }
    }

    BatchGenerator(BatchEngine engine, BatchOptions options, BloomTokenizer tokenizer, int eos, int vocab, int context, Observer observer) {
        this.engine = engine;
        this.options = options;
        this.tokenizer = tokenizer;
        this.eos = eos;
        this.vocab = vocab;
        this.context = context;
        this.observer = observer == null ? Observer.NONE : observer;
        this.scheduler = Thread.ofPlatform().name("bloomj-batch").daemon().unstarted(this::loop);
        scheduler.start();
    }

    /**
     * Queues a generation. The future completes with its result (finish reason
     * {@link FinishReason#CANCELLED} when {@code cancel} stopped it, before or after it started),
     * or exceptionally when its listener threw or the backend failed.
     *
     * @throws QueueFullException when {@link BatchOptions#queue()} requests already wait
     * @throws InvalidInputException for an empty prompt, token ids outside the vocabulary, stop strings without a tokenizer
     * @throws ContextLengthException when the prompt does not fit one sequence's KV cache
     */
    public CompletableFuture<GenerationResult> submit(int[] prompt, GenerationConfig config, GenerationListener listener,
                                                      Cancellation cancel) {
        if (prompt.length == 0) throw new InvalidInputException("no tokens given");
        for (int t : prompt) {
            if (t < 0 || t >= vocab) throw new InvalidInputException("token id " + t + " is outside the vocabulary [0, " + vocab + ")");
        }
        if (!config.stopStrings().isEmpty() && tokenizer == null) {
            throw new InvalidInputException("this model has no tokenizer.json: stop strings need one");
        }
        int limit = maxSequenceTokens();
        if (prompt.length > limit) throw new ContextLengthException(prompt.length, limit);
        // The cache holds the prompt and every generated token but the last: reserved up front, so an
        // admitted sequence never runs out of blocks and never takes any from another.
        int reserve = (int) Math.min(limit, (long) prompt.length + config.maxNewTokens() - 1);
        CompletableFuture<GenerationResult> result = new CompletableFuture<>();
        Pending p = new Pending(prompt.clone(), config, listener, cancel, result, System.nanoTime(), Math.max(reserve, prompt.length));
        lock.lock();
        try {
            if (!accepting) throw new ClosedException("this batch generator");
            if (waiting.size() >= options.queue() && !(waiting.isEmpty() && engine.freeSlots() > 0)) {
                throw new QueueFullException("the queue is full (" + options.queue() + " requests waiting)");
            }
            waiting.add(p);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        return result;
    }

    /** Most tokens one sequence may hold: the context length, or the whole KV pool when smaller. */
    public int maxSequenceTokens() {
        return (int) Math.min(context, (long) engine.totalBlocks() * BatchOptions.BLOCK_SIZE);
    }

    public int context() {
        return context;
    }

    /** Requests waiting for a slot. */
    public int queueDepth() {
        lock.lock();
        try {
            return waiting.size();
        } finally {
            lock.unlock();
        }
    }

    /** Sequences in the running batch. */
    public int runningSequences() {
        return runningCount;
    }

    public BatchOptions options() {
        return options;
    }

    private void loop() {
        while (true) {
            List<Running> batch;
            lock.lock();
            try {
                admit();
                while (running.isEmpty() && (waiting.isEmpty() || engine.freeSlots() == 0) && !stopping) {
                    changed.awaitUninterruptibly();
                    admit();
                }
                if (stopping && running.isEmpty() && waiting.isEmpty()) return;
                batch = new ArrayList<>(running);
                runningCount = running.size();
            } finally {
                lock.unlock();
            }
            if (batch.isEmpty()) continue;
            try {
                step(batch);
            } catch (RuntimeException e) {
                // Never let the scheduler die: what ran in this step fails, the batch goes on.
                for (Running r : batch) if (!r.request.result.isDone()) fail(r, e);
            }
        }
    }

    /** Moves waiting requests into the batch while slots and blocks allow, in arrival order (lock held). */
    private void admit() {
        for (Iterator<Pending> it = waiting.iterator(); it.hasNext(); ) {
            Pending p = it.next();
            if (p.cancel != null && p.cancel.isCancelled() || stopping) {
                it.remove();
                Generation g = new Generation(p.prompt.length, p.config, tokenizer, eos, p.listener, p.cancel);
                g.cancelNow();
                observer.finished(FinishReason.CANCELLED);
                p.result.complete(g.result());
                continue;
            }
            BatchEngine.Member m;
            try {
                m = engine.open(p.reserve);
            } catch (RuntimeException e) {
                // The request cannot run (or the backend failed): it fails alone, the scheduler goes on.
                it.remove();
                observer.finished(null);
                p.result.completeExceptionally(e instanceof BloomjException ? e : new BloomjException("cannot start the sequence: " + e, e));
                continue;
            }
            if (m == null) break;   // first come, first served: later requests do not overtake it
            it.remove();
            running.add(new Running(p, m, new Generation(p.prompt.length, p.config, tokenizer, eos, p.listener, p.cancel)));
        }
        runningCount = running.size();
        changed.signalAll();
    }

    private void step(List<Running> batch) {
        List<BatchEngine.Work> work = new ArrayList<>();
        List<Running> prefilling = new ArrayList<>();
        for (Running r : batch) {
            if (r.generation.cancelled()) {
                r.generation.cancelNow();
                finish(r, null);
                continue;
            }
            if (r.decoding()) {
                work.add(new BatchEngine.Work(r.member, new int[] {r.generation.last()}, true, true, r.generation.nextSampling()));
            } else {
                prefilling.add(r);
            }
        }
        int budget = Math.max(0, Math.min(options.prefillRows(), engine.maxRows() - work.size()));
        List<Running> chunked = new ArrayList<>();
        for (Running r : prefilling) {
            if (budget == 0) break;
            int n = Math.min(budget, r.request.prompt.length - r.prefilled);
            int[] chunk = java.util.Arrays.copyOfRange(r.request.prompt, r.prefilled, r.prefilled + n);
            boolean last = r.prefilled + n == r.request.prompt.length;
            // A one-token prompt is a decode row, as it is for a session alone.
            boolean decode = r.request.prompt.length == 1;
            SamplingParams draw = last ? r.generation.nextSampling() : null;
            BatchEngine.Work w = new BatchEngine.Work(r.member, chunk, decode, last, draw);
            if (decode) work.add(0, w);
            else work.add(w);
            r.prefilled += n;
            budget -= n;
            chunked.add(r);
        }
        if (work.isEmpty()) return;
        List<BatchEngine.Outcome> outcomes;
        int rows = 0, promptRows = 0;
        for (BatchEngine.Work w : work) {
            rows += w.tokens().length;
            if (byMember(batch, w.member()).generation.generated() == 0) promptRows += w.tokens().length;
        }
        try {
            outcomes = engine.step(work);
        } catch (RuntimeException e) {
            for (Running r : batch) if (!r.request.result.isDone()) fail(r, e);
            return;
        }
        observer.step(rows, promptRows);
        float[] logits = null;
        for (BatchEngine.Outcome o : outcomes) {
            if (byMember(batch, o.work().member()).generation.logprobs() > 0) {
                logits = engine.readLogits(outcomes.size());
                break;
            }
        }
        long now = System.nanoTime();
        for (BatchEngine.Outcome o : outcomes) {
            Running r = byMember(batch, o.work().member());
            Generation g = r.generation;
            float[] row = logits != null && g.logprobs() > 0 ? engine.logitsRow(logits, o.logitsRow()) : null;
            if (g.generated() == 0) observer.firstToken((now - r.request.submitted) / 1e9);
            else observer.nextToken((now - r.lastToken) / 1e9);
            r.lastToken = now;
            boolean done;
            try {
                done = g.accept(o.token(), row, r.member.length(), r.member.capacity());
            } catch (RuntimeException e) {
                fail(r, e);
                continue;
            }
            if (done) finish(r, g.result());
        }
    }

    private static Running byMember(List<Running> batch, BatchEngine.Member m) {
        for (Running r : batch) if (r.member == m) return r;
        throw new IllegalStateException("no running sequence in slot " + m.slot());
    }

    private void finish(Running r, GenerationResult result) {
        remove(r);
        GenerationResult done = result != null ? result : r.generation.result();
        observer.finished(done.finishReason());
        r.request.result.complete(done);
    }

    private void fail(Running r, Throwable e) {
        remove(r);
        observer.finished(null);
        r.request.result.completeExceptionally(e instanceof BloomjException ? e : new BloomjException("generation failed: " + e, e));
    }

    private void remove(Running r) {
        lock.lock();
        try {
            running.remove(r);
            engine.release(r.member);
            runningCount = running.size();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops accepting requests, lets running and waiting ones finish for up to {@code grace}, then
     * cancels what is left; returns when the batch is empty.
     */
    public void drain(Duration grace) {
        accepting = false;
        long deadline = System.nanoTime() + grace.toNanos();
        lock.lock();
        try {
            while (!(running.isEmpty() && waiting.isEmpty())) {
                long left = deadline - System.nanoTime();
                if (left <= 0) break;
                changed.awaitNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
        close();
    }

    /** Cancels everything still waiting or running (their futures complete as cancelled) and frees the batch. */
    @Override
    public void close() {
        accepting = false;
        lock.lock();
        try {
            if (stopping && !scheduler.isAlive()) return;
            stopping = true;
            // Running sequences end before their next step, as cancelled.
            for (Running r : running) r.generation.cancel();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            scheduler.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        engine.close();
    }
}
