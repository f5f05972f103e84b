package io.bloomj.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bloomj.CheckpointException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;

/**
 * A model's {@code tokenizer.json}, run by the Hugging Face tokenizers library (Rust, through DJL;
 * it ships its native library and needs no network). BLOOM conventions: special tokens
 * ({@code <unk>}=0, {@code <s>}=1, {@code </s>}=2, {@code <pad>}=3) written in the text are
 * recognised as such, no BOS is added, and decoding keeps everything unless asked otherwise.
 *
 * <pre>{@code
 * try (BloomTokenizer tok = BloomTokenizer.load(Path.of("bloomz-3b/tokenizer.json"))) {
 *     int[] ids = tok.encode("C'est quoi le deep learning ?");
 *     String text = tok.decode(ids);
 * }
 * }</pre>
 *
 * Thread-safe (the native tokenizer is immutable once loaded).
 */
public final class BloomTokenizer implements AutoCloseable {
    public static final String FILE = "tokenizer.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    static {
        // DJL extracts its native library into DJL_CACHE_DIR (default ~/.djl.ai); keep it with
        // bloomj's other caches unless the user chose a place.
        Path cache = cacheDir();
        if (System.getProperty("DJL_CACHE_DIR") == null && System.getenv("DJL_CACHE_DIR") == null) {
            System.setProperty("DJL_CACHE_DIR", cache.toString());
        }
        if (System.getProperty("ENGINE_CACHE_DIR") == null && System.getenv("ENGINE_CACHE_DIR") == null) {
            System.setProperty("ENGINE_CACHE_DIR", cache.toString());
        }
    }

    private final HuggingFaceTokenizer tokenizer;
    private final int vocabSize;
    private final Path file;

    private BloomTokenizer(HuggingFaceTokenizer tokenizer, int vocabSize, Path file) {
        this.tokenizer = tokenizer;
        this.vocabSize = vocabSize;
        this.file = file;
    }

    static Path cacheDir() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("bloomj").resolve("djl");
    }

    /** Loads {@code tokenizer.json} from a model folder (or the file itself). */
    public static BloomTokenizer load(Path dirOrFile) {
        Path file = Files.isDirectory(dirOrFile) ? dirOrFile.resolve(FILE) : dirOrFile;
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(file));
        } catch (NoSuchFileException e) {
            throw new CheckpointException(file, "tokenizer.json not found: text needs the model's tokenizer "
                    + "(or use --tokens with token ids)");
        } catch (JsonProcessingException e) {
            throw new CheckpointException(file, "malformed tokenizer.json: " + e.getOriginalMessage());
        } catch (java.nio.charset.MalformedInputException e) {
            throw new CheckpointException(file, "tokenizer.json is not UTF-8 text");
        } catch (IOException e) {
            throw new CheckpointException(file, "cannot read: " + io.bloomj.IoErrors.describe(e), e);
        }
        JsonNode vocab = root == null ? null : root.path("model").get("vocab");
        if (vocab == null || !vocab.isObject()) {
            throw new CheckpointException(file, "malformed tokenizer.json: no model.vocab object (a BPE tokenizer is expected)");
        }
        long size = maxId(file, vocab.properties().iterator()) + 1;
        for (JsonNode added : root.path("added_tokens")) size = Math.max(size, id(file, added.path("content").asText("?"), added.path("id")) + 1);
        HuggingFaceTokenizer tok;
        try {
            tok = HuggingFaceTokenizer.newInstance(file, Map.of("addSpecialTokens", "false", "padding", "false",
                    "truncation", "false"));
        } catch (IOException | RuntimeException e) {
            throw new CheckpointException(file, "the tokenizers library rejected this tokenizer.json: " + e.getMessage());
        }
        return new BloomTokenizer(tok, (int) size, file);
    }

    private static long maxId(Path file, Iterator<Map.Entry<String, JsonNode>> entries) {
        long max = -1;
        while (entries.hasNext()) {
            Map.Entry<String, JsonNode> e = entries.next();
            max = Math.max(max, id(file, e.getKey(), e.getValue()));
        }
        return max;
    }

    /** A token id as the file gives it, checked: a whole number from 0 to 2^31 - 2 (ids index an embedding of int rows). */
    private static long id(Path file, String token, JsonNode n) {
        if (!n.canConvertToLong() || !n.isIntegralNumber() || n.asLong() < 0 || n.asLong() >= Integer.MAX_VALUE) {
            throw new CheckpointException(file, "malformed tokenizer.json: token '" + token + "' has id " + n
                    + " (ids are whole numbers from 0 to " + (Integer.MAX_VALUE - 1) + ")");
        }
        return n.asLong();
    }

    /** Number of ids the tokenizer can produce (its largest id + 1). */
    public int vocabSize() {
        return vocabSize;
    }

    public Path file() {
        return file;
    }

    /** Checks the tokenizer against a model's embedding; a larger vocabulary would index past it. */
    public void checkFits(int modelVocab) {
        if (vocabSize > modelVocab) {
            throw new CheckpointException(file, "the tokenizer has " + vocabSize + " tokens but the model's embedding has "
                    + modelVocab + " rows: tokenizer and weights do not belong together");
        }
    }

    /** Token ids of {@code text}; special tokens written in the text are recognised, nothing is added. */
    public int[] encode(String text) {
        long[] ids = use(() -> tokenizer.encode(text, false, false).getIds());
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) out[i] = Math.toIntExact(ids[i]);
        return out;
    }

    /** The text of {@code ids}, special tokens included. */
    public String decode(int[] ids) {
        return decode(ids, false);
    }

    public String decode(int[] ids, boolean skipSpecialTokens) {
        if (ids.length == 0) return "";
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) l[i] = ids[i];
        return use(() -> tokenizer.decode(l, skipSpecialTokens));
    }

    /** The token strings of {@code text} as the tokenizer sees them (byte-level symbols). */
    public String[] tokens(String text) {
        return use(() -> tokenizer.encode(text, false, false).getTokens());
    }

    /** A decoder that turns a stream of ids into text pieces without ever splitting a character. */
    public StreamingDecoder streamingDecoder() {
        return new StreamingDecoder(this);
    }

    /**
     * The native tokenizer is freed by close(): calls hold a read lock so close() waits for those
     * in flight (another thread may be decoding a streamed answer) and later ones fail clearly
     * instead of touching freed memory.
     */
    private final java.util.concurrent.locks.ReentrantReadWriteLock lock = new java.util.concurrent.locks.ReentrantReadWriteLock();
    private boolean closed;

    private <T> T use(java.util.function.Supplier<T> call) {
        lock.readLock().lock();
        try {
            if (closed) throw new io.bloomj.ClosedException("the tokenizer");
            return call.get();
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (closed) return;
            closed = true;
            tokenizer.close();
        } finally {
            lock.writeLock().unlock();
        }
    }
}
