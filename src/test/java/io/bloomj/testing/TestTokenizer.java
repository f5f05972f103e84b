package io.bloomj.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small byte-level BPE tokenizer.json with BLOOM's structure: special tokens 0-3, the 256
 * byte-level symbols, a few dozen French/English merges, BLOOM's pre-tokenizer (Split on
 * {@code  ?[^(\s|[.,!?…。，、।۔،])]+}, then ByteLevel without prefix space) and the ByteLevel decoder.
 * Multi-byte characters without a merge (emoji, CJK) take several tokens, which is what the
 * streaming decoder must cope with.
 */
public final class TestTokenizer {
    /** Merges in priority order; both parts of each exist before it. */
    public static final String[] MERGES = {
            "Ġ d", "e s", "o u", "Ġ l", "Ġ c", "e n", "Ġ p", "Ã ©", "Ġd e", "Ġl e", "Ġ t", "o n", "e r", "a n",
            "Ġ m", "Ġ s", "q u", "Ġ a", "Ġ b", "t h", "Ġt h", "Ġth e", "i n", "Ġ j", "o r", "Ġ e", "a i", "Ġc '",
            "s t", "e st", "Ġe st", "Ġ q", "Ġq u", "Ġqu o", "Ġquo i", "Ã ¨", "Ã §", "Ã ª", "Ã ¢",
            "B o", "Bo n", "Bon j", "Bonj ou", "Bonjou r", "Ġ Ã§", "ĠÃ§ a", "Ġ v", "Ġv a"};
    /** Vocabulary size: 4 specials + 256 bytes + distinct merges. */
    public static final int VOCAB = vocabulary().size();

    private TestTokenizer() {}

    /** GPT-2's bytes_to_unicode: printable bytes map to themselves, the others above U+0100. */
    static String[] byteSymbols() {
        List<Integer> bs = new ArrayList<>();
        for (int b = '!'; b <= '~'; b++) bs.add(b);
        for (int b = 0xA1; b <= 0xAC; b++) bs.add(b);
        for (int b = 0xAE; b <= 0xFF; b++) bs.add(b);
        String[] symbols = new String[256];
        for (int b : bs) symbols[b] = String.valueOf((char) b);
        int n = 0;
        for (int b = 0; b < 256; b++) if (symbols[b] == null) symbols[b] = String.valueOf((char) (256 + n++));
        return symbols;
    }

    static Map<String, Integer> vocabulary() {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        String[] specials = {"<unk>", "<s>", "</s>", "<pad>"};
        for (String s : specials) vocab.put(s, vocab.size());
        for (String s : byteSymbols()) vocab.put(s, vocab.size());
        for (String m : MERGES) vocab.putIfAbsent(m.replace(" ", ""), vocab.size());
        return vocab;
    }

    public static Path write(Path dir) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        String[] specials = {"<unk>", "<s>", "</s>", "<pad>"};
        for (int i = 0; i < specials.length; i++) {
            added.addObject().put("id", i).put("content", specials[i]).put("single_word", false).put("lstrip", false)
                    .put("rstrip", false).put("normalized", false).put("special", true);
        }
        root.putNull("normalizer");
        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "Sequence");
        ArrayNode pres = pre.putArray("pretokenizers");
        ObjectNode split = pres.addObject();
        split.put("type", "Split");
        split.putObject("pattern").put("Regex", " ?[^(\\s|[.,!?…。，、।۔،])]+");
        split.put("behavior", "Isolated").put("invert", false);
        pres.addObject().put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true).put("use_regex", false);
        root.putNull("post_processor");
        root.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", true).put("trim_offsets", true).put("use_regex", true);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE").putNull("dropout");
        model.putNull("unk_token").putNull("continuing_subword_prefix").putNull("end_of_word_suffix");
        model.put("fuse_unk", false).put("byte_fallback", false);
        ObjectNode vocab = model.putObject("vocab");
        vocabulary().forEach(vocab::put);
        ArrayNode merges = model.putArray("merges");
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (String m : MERGES) if (seen.add(m)) merges.add(m);
        Files.createDirectories(dir);
        Path file = dir.resolve("tokenizer.json");
        Files.writeString(file, json.writerWithDefaultPrettyPrinter().writeValueAsString(root));
        return file;
    }
}
