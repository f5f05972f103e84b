package io.bloomj.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bloomj.CheckpointException;
import io.bloomj.tensor.Weight;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * A Hugging Face BLOOM checkpoint folder: {@code config.json} plus either {@code model.safetensors}
 * or shards listed in {@code model.safetensors.index.json}. All files are memory-mapped for as long
 * as the checkpoint is open; closing it unmaps them, after which no {@link Weight} may be touched.
 *
 * <p>Tensor names are looked up without the {@code transformer.} prefix that
 * {@code BloomForCausalLM} checkpoints carry and {@code BloomModel} checkpoints do not.
 */
public final class Checkpoint implements AutoCloseable {
    public static final String CONFIG = "config.json";
    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX = "model.safetensors.index.json";
    private static final String PREFIX = "transformer.";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final BloomConfig config;
    private final Arena arena;
    /** Tensor by canonical name (prefix stripped), with the file that holds it. */
    private final Map<String, Located> tensors;

    private record Located(Weight weight, Path file) {}

    private Checkpoint(Path dir, BloomConfig config, Arena arena, Map<String, Located> tensors) {
        this.dir = dir;
        this.config = config;
        this.arena = arena;
        this.tensors = tensors;
    }

    public static Checkpoint open(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new CheckpointException(dir, "not a folder (expected a Hugging Face model folder with config.json and safetensors weights)");
        }
        BloomConfig config = BloomConfig.read(dir.resolve(CONFIG));
        Arena arena = Arena.ofShared();
        try {
            Map<String, Located> tensors = new LinkedHashMap<>();
            for (Path file : weightFiles(dir)) {
                SafetensorsFile st = SafetensorsFile.open(file, arena);
                for (Weight w : st.tensors().values()) {
                    String canonical = w.name().startsWith(PREFIX) ? w.name().substring(PREFIX.length()) : w.name();
                    Located previous = tensors.put(canonical, new Located(w, file));
                    if (previous != null) {
                        throw new CheckpointException(file, w.name(), "tensor also present in " + previous.file.getFileName());
                    }
                }
            }
            return new Checkpoint(dir, config, arena, tensors);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** The safetensors files of the folder: the shards of the index, or the single file. */
    private static Iterable<Path> weightFiles(Path dir) {
        Path index = dir.resolve(INDEX);
        if (Files.exists(index)) return shards(dir, index);
        Path single = dir.resolve(SINGLE_FILE);
        if (Files.exists(single)) return java.util.List.of(single);
        if (Files.exists(dir.resolve("pytorch_model.bin")) || Files.exists(dir.resolve("pytorch_model.bin.index.json"))) {
            throw new CheckpointException(dir, "only PyTorch pickle weights (pytorch_model.bin) found: bloomj requires "
                    + "safetensors (model.safetensors); convert with transformers' save_pretrained(safe_serialization=True)");
        }
        throw new CheckpointException(dir, "no weights found: expected " + SINGLE_FILE + " or " + INDEX);
    }

    private static Iterable<Path> shards(Path dir, Path index) {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(index));
        } catch (JsonProcessingException e) {
            throw new CheckpointException(index, "malformed JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new CheckpointException(index, "cannot read: " + io.bloomj.IoErrors.describe(e), e);
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject() || map.isEmpty()) {
            throw new CheckpointException(index, "no weight_map object");
        }
        TreeSet<Path> files = new TreeSet<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String shard = e.getValue().asText("");
            Path file = dir.resolve(shard).normalize();
            if (shard.isEmpty() || !file.startsWith(dir.normalize())) {
                throw new CheckpointException(index, e.getKey(), "invalid shard file name '" + shard + "'");
            }
            if (!Files.exists(file)) {
                throw new CheckpointException(index, e.getKey(), "shard " + shard + " is missing from the folder");
            }
            files.add(file);
        }
        return files;
    }

    public Path dir() {
        return dir;
    }

    public BloomConfig config() {
        return config;
    }

    /** The tensor with this canonical name (without {@code transformer.}), if present. */
    public Optional<Weight> find(String name) {
        Located l = tensors.get(name);
        return l == null ? Optional.empty() : Optional.of(l.weight);
    }

    /** The tensor with this canonical name and exactly this shape, or a {@link CheckpointException}. */
    public Weight require(String name, long... shape) {
        Located l = tensors.get(name);
        if (l == null) {
            throw new CheckpointException(dir, name, "missing tensor (looked for '" + name + "' and '" + PREFIX + name + "')");
        }
        if (!java.util.Arrays.equals(l.weight.shape(), shape)) {
            throw new CheckpointException(l.file, l.weight.name(), "wrong shape " + java.util.Arrays.toString(l.weight.shape())
                    + ", expected " + java.util.Arrays.toString(shape) + " for this config");
        }
        return l.weight;
    }

    /** Total bytes of all tensors in the checkpoint. */
    public long weightBytes() {
        long sum = 0;
        for (Located l : tensors.values()) sum += l.weight.byteSize();
        return sum;
    }

    @Override
    public void close() {
        arena.close();
    }
}
