package io.bloomj.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bloomj.CheckpointException;
import io.bloomj.tensor.DType;
import io.bloomj.tensor.Q8_0;
import io.bloomj.tensor.Weight;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One {@code .safetensors} file, memory-mapped: its tensors are zero-copy {@link Weight} views.
 *
 * <pre>
 * | u64 LE: N | N bytes of JSON header | data ... |
 * header: {"name": {"dtype": "BF16", "shape": [r, c], "data_offsets": [begin, end]}, "__metadata__": {...}}
 * offsets are relative to the first data byte, end exclusive
 * </pre>
 *
 * Every structural promise of the header is checked before a tensor is handed out, so a corrupt or
 * truncated file gives an error naming the file and tensor instead of garbage or a crash.
 *
 * <p>8-bit checkpoints ({@code bloomj quantize}) declare {@code "bloomj.weights": "q8_0"} in
 * {@code __metadata__} and store each quantized matrix {@code W} as two tensors: {@code W} itself,
 * {@code I8 [rows, cols]}, and {@code W_scale}, {@code F16 [rows, ceil(cols / 32)]}, in the same file
 * (see {@link io.bloomj.tensor.Q8_0}); they are handed out as one {@link DType#Q8_0} weight named {@code W}.
 * Everything else (biases, LayerNorm parameters) keeps its float dtype.
 */
public final class SafetensorsFile {
    /** Headers are small (a few hundred KB for the largest models); anything bigger is corruption. */
    static final long MAX_HEADER_BYTES = 100L << 20;
    /** The {@code __metadata__} entry that marks an 8-bit checkpoint, and its value. */
    public static final String WEIGHTS_METADATA = "bloomj.weights";
    public static final String Q8_0_FORMAT = "q8_0";
    /** Suffix of the tensor holding a Q8_0 matrix's block scales. */
    public static final String SCALE_SUFFIX = "_scale";
    /**
     * As the reference implementation reads headers: one JSON object, nothing after it but the
     * padding spaces, no key twice (a duplicate tensor name would otherwise load, last one winning).
     */
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private final Path path;
    private final Map<String, Weight> tensors;

    private SafetensorsFile(Path path, Map<String, Weight> tensors) {
        this.path = path;
        this.tensors = tensors;
    }

    /** Maps {@code path} into {@code arena}; the views live as long as the arena. */
    public static SafetensorsFile open(Path path, Arena arena) {
        MemorySegment file;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new CheckpointException(path, "truncated safetensors file: " + size
                        + " bytes, shorter than the 8-byte header length");
            }
            file = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
        } catch (NoSuchFileException e) {
            throw new CheckpointException(path, "file not found");
        } catch (IOException e) {
            throw new CheckpointException(path, "cannot read: " + io.bloomj.IoErrors.describe(e), e);
        }
        return new SafetensorsFile(path, parse(path, file));
    }

    private record Entry(String name, DType dtype, long[] shape, long begin, long end) {}

    private static Map<String, Weight> parse(Path path, MemorySegment file) {
        long size = file.byteSize();
        long headerLen = file.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 0);
        if (headerLen < 2 || headerLen > size - 8 || headerLen > MAX_HEADER_BYTES) {
            throw new CheckpointException(path, "corrupt safetensors file: header length " + headerLen
                    + " does not fit in the file of " + size + " bytes");
        }
        String headerText = new String(file.asSlice(8, headerLen).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
        JsonNode header;
        try {
            header = JSON.readTree(headerText);
        } catch (JsonProcessingException e) {
            throw new CheckpointException(path, "corrupt safetensors header (malformed JSON): " + e.getOriginalMessage());
        }
        if (header == null || !header.isObject()) {
            throw new CheckpointException(path, "corrupt safetensors header: expected a JSON object");
        }
        String padding = headerText.substring(headerText.lastIndexOf('}') + 1);
        if (!padding.isBlank() || !padding.chars().allMatch(c -> c == ' ')) {
            throw new CheckpointException(path, "corrupt safetensors header: " + padding.length()
                    + " bytes after the JSON object that are not padding spaces");
        }
        JsonNode metadata = header.get("__metadata__");
        if (metadata != null && !metadata.isObject()) {
            throw new CheckpointException(path, "corrupt safetensors header: __metadata__ must be an object of strings, found " + metadata);
        }
        long dataStart = 8 + headerLen;
        long dataSize = size - dataStart;
        boolean q8 = Q8_0_FORMAT.equals(header.path("__metadata__").path(WEIGHTS_METADATA).asText(null));
        List<Entry> entries = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            if (field.getKey().equals("__metadata__")) continue;
            entries.add(entry(path, field.getKey(), field.getValue(), q8));
        }
        // Sorted by position: each tensor must end before the next begins, the last within the file.
        entries.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        Entry previous = null;
        for (Entry e : entries) {
            if (previous != null && e.begin < previous.end) {
                throw new CheckpointException(path, e.name, "data_offsets [" + e.begin + ", " + e.end
                        + ") overlap tensor '" + previous.name + "' [" + previous.begin + ", " + previous.end + ")");
            }
            if (e.end > dataSize) {
                throw new CheckpointException(path, e.name, "truncated file: tensor data ends at byte "
                        + (dataStart + e.end) + " but the file has " + size + " bytes");
            }
            previous = e;
        }
        Map<String, Entry> byName = new LinkedHashMap<>();
        for (Entry e : entries) byName.put(e.name, e);
        java.util.Set<String> scaleTensors = new java.util.HashSet<>();
        for (Entry e : entries) if (e.dtype == DType.Q8_0) scaleTensors.add(e.name + SCALE_SUFFIX);
        Map<String, Weight> tensors = new LinkedHashMap<>();
        for (Entry e : entries) {
            if (scaleTensors.contains(e.name)) continue;   // part of its matrix's Q8_0 weight
            MemorySegment data = file.asSlice(dataStart + e.begin, e.end - e.begin);
            tensors.put(e.name, e.dtype == DType.Q8_0 ? q8Weight(path, e, data, byName.get(e.name + SCALE_SUFFIX), file, dataStart)
                    : new Weight(e.name, e.dtype, e.shape, data));
        }
        return tensors;
    }

    /** A Q8_0 matrix from its int8 values and its F16 scales tensor, both checked. */
    private static Weight q8Weight(Path path, Entry values, MemorySegment data, Entry scales, MemorySegment file, long dataStart) {
        if (values.shape.length != 2) {
            throw new CheckpointException(path, values.name, "an I8 (q8_0) tensor must be a matrix, shape " + java.util.Arrays.toString(values.shape));
        }
        String scaleName = values.name + SCALE_SUFFIX;
        if (scales == null) {
            throw new CheckpointException(path, values.name, "q8_0 values without their scales: no tensor '" + scaleName + "' in this file");
        }
        long[] expected = {values.shape[0], Q8_0.blocks(values.shape[1])};
        if (scales.dtype != DType.F16 || !java.util.Arrays.equals(scales.shape, expected)) {
            throw new CheckpointException(path, scaleName, "q8_0 scales must be F16 " + java.util.Arrays.toString(expected)
                    + " (one per 32 values of a row), found " + scales.dtype.safetensorsName() + " " + java.util.Arrays.toString(scales.shape));
        }
        MemorySegment d = file.asSlice(dataStart + scales.begin, scales.end - scales.begin);
        long bad = firstNonFinite(d);
        if (bad >= 0) {
            throw new CheckpointException(path, scaleName, String.format("q8_0 scale of row %d, block %d is not finite (fp16 bits 0x%04x)",
                    bad / expected[1], bad % expected[1], d.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, bad) & 0xFFFF));
        }
        return new Weight(values.name, DType.Q8_0, values.shape, data, d);
    }

    /**
     * Index of the first infinite or NaN fp16 in {@code halves} (exponent bits all ones), or -1. The
     * CPU kernel widens scales by a shift and a multiply that is exact only for finite halves, and an
     * infinite scale is garbage on every backend: such a file is malformed. Four halves per long
     * read: ~0.1 s for the 80 M scales of a 3B model.
     */
    static long firstNonFinite(MemorySegment halves) {
        long n = halves.byteSize() / 2, i = 0;
        for (; i + 4 <= n; i += 4) {
            long x = (halves.get(ValueLayout.JAVA_LONG_UNALIGNED, 2 * i) & 0x7C007C007C007C00L) ^ 0x7C007C007C007C00L;
            // a lane of x is zero exactly where the exponent is all ones (lanes hold bits 10..14 only)
            if (((x - 0x0001000100010001L) & ~x & 0x8000800080008000L) != 0) break;
        }
        for (; i < n; i++) {
            if ((halves.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i) & 0x7C00) == 0x7C00) return i;
        }
        return -1;
    }

    private static Entry entry(Path path, String name, JsonNode node, boolean q8) {
        if (!node.isObject()) throw new CheckpointException(path, name, "header entry is not an object");
        String dtypeName = node.path("dtype").asText("");
        DType dtype = q8 && dtypeName.equals(DType.Q8_0.safetensorsName()) ? DType.Q8_0 : DType.fromSafetensors(dtypeName).orElseThrow(
                () -> new CheckpointException(path, name, "unsupported dtype '" + dtypeName + "' (bloomj reads BF16, F16 and F32, and I8 in "
                        + "files whose __metadata__ has \"" + WEIGHTS_METADATA + "\": \"" + Q8_0_FORMAT + "\")"));
        JsonNode shapeNode = node.get("shape");
        JsonNode offsets = node.get("data_offsets");
        if (shapeNode == null || !shapeNode.isArray()) {
            throw new CheckpointException(path, name, "header entry has no shape array");
        }
        if (offsets == null || !offsets.isArray() || offsets.size() != 2
                || !offsets.get(0).canConvertToLong() || !offsets.get(1).canConvertToLong()) {
            throw new CheckpointException(path, name, "header entry needs data_offsets [begin, end]");
        }
        long[] shape = new long[shapeNode.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.canConvertToLong() || d.asLong() < 0) {
                throw new CheckpointException(path, name, "invalid shape " + shapeNode);
            }
            shape[i] = d.asLong();
            try {
                numel = Math.multiplyExact(numel, shape[i]);
            } catch (ArithmeticException e) {
                throw new CheckpointException(path, name, "shape " + shapeNode + " has more elements than a file can hold");
            }
        }
        long begin = offsets.get(0).asLong();
        long end = offsets.get(1).asLong();
        if (begin < 0 || end < begin) {
            throw new CheckpointException(path, name, "invalid data_offsets [" + begin + ", " + end + "]");
        }
        long expected;
        try {
            expected = Math.multiplyExact(numel, dtype.bytes());
        } catch (ArithmeticException e) {
            throw new CheckpointException(path, name, "shape " + shapeNode + " of " + dtypeName + " has more bytes than a file can hold");
        }
        if (end - begin != expected) {
            throw new CheckpointException(path, name, "data_offsets span " + (end - begin) + " bytes but shape "
                    + shapeNode + " of " + dtypeName + " needs " + expected);
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    public Path path() {
        return path;
    }

    /** Tensors in file order, by name. */
    public Map<String, Weight> tensors() {
        return tensors;
    }
}
