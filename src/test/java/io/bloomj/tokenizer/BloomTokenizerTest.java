package io.bloomj.tokenizer;

import io.bloomj.CheckpointException;
import io.bloomj.testing.TestTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BloomTokenizerTest {
    private static final String[] TEXTS = {
            "C'est quoi le deep learning ?",
            "The quick brown fox jumps over the lazy dog.",
            "Bonjour, ça va ? Très bien, merci ! À bientôt… l'été est là.",
            "Emoji: 🤗🚀 and a family 👨‍👩‍👧 end",
            "中文分词测试，日本語のテキスト。한국어",
            "  leading spaces\n\n\ttabs\t and   runs of    spaces \r\n and trailing   ",
            ""};

    @TempDir
    Path tmp;

    private BloomTokenizer tokenizer() throws IOException {
        TestTokenizer.write(tmp);
        return BloomTokenizer.load(tmp);
    }

    @Test
    void roundTripsFrenchEnglishEmojiCjkAndWhitespace() throws IOException {
        try (BloomTokenizer tok = tokenizer()) {
            assertEquals(TestTokenizer.VOCAB, tok.vocabSize());
            for (String text : TEXTS) {
                int[] ids = tok.encode(text);
                assertEquals(text, tok.decode(ids), "round trip of '" + text + "'");
                for (int id : ids) assertTrue(id >= 0 && id < tok.vocabSize());
            }
            // merges apply: " de" is one token, "é" (two bytes) is one token
            assertEquals(1, tok.encode(" de").length);
            assertEquals(1, tok.encode("é").length);
            assertEquals(4, tok.encode("🤗").length, "an emoji without merges is its 4 bytes");
        }
    }

    @Test
    void specialTokensInsideTextAreRecognisedAndNoBosIsAdded() throws IOException {
        try (BloomTokenizer tok = tokenizer()) {
            int[] plain = tok.encode("Bonjour");
            assertTrue(plain[0] != 1, "no BOS added");
            int[] chat = tok.encode("</s>Bonjour<s>");
            assertEquals(2, chat[0]);
            assertEquals(1, chat[chat.length - 1]);
            assertArrayEquals(plain, java.util.Arrays.copyOfRange(chat, 1, chat.length - 1));
            assertEquals("</s>Bonjour<s>", tok.decode(chat), "decoding skips nothing by default");
            assertEquals("Bonjour", tok.decode(chat, true));
        }
    }

    @Test
    void streamingNeverEmitsABrokenCharacterAndConcatenatesToTheWholeText() throws IOException {
        try (BloomTokenizer tok = tokenizer()) {
            for (String text : TEXTS) {
                StreamingDecoder stream = tok.streamingDecoder();
                StringBuilder all = new StringBuilder();
                for (int id : tok.encode(text)) {
                    String piece = stream.push(id);
                    assertFalse(piece.indexOf('\uFFFD') >= 0, "piece '" + piece + "' of '" + text + "' holds a broken character");
                    all.append(piece);
                }
                all.append(stream.flush());
                assertEquals(text, all.toString());
            }
        }
    }

    @Test
    void clearErrors() throws IOException {
        assertTrue(assertThrows(CheckpointException.class, () -> BloomTokenizer.load(tmp)).getMessage().contains("tokenizer.json not found"));
        Files.writeString(tmp.resolve("tokenizer.json"), "{\"model\": {\"vocab\": ");
        assertTrue(assertThrows(CheckpointException.class, () -> BloomTokenizer.load(tmp)).getMessage().contains("malformed tokenizer.json"));
        Files.writeString(tmp.resolve("tokenizer.json"), "{\"model\": {\"type\": \"WordPiece\"}}");
        assertTrue(assertThrows(CheckpointException.class, () -> BloomTokenizer.load(tmp)).getMessage().contains("no model.vocab"));
        try (BloomTokenizer tok = tokenizer()) {
            CheckpointException e = assertThrows(CheckpointException.class, () -> tok.checkFits(100));
            assertTrue(e.getMessage().contains(TestTokenizer.VOCAB + " tokens") && e.getMessage().contains("100 rows"), e.getMessage());
            tok.checkFits(TestTokenizer.VOCAB);
        }
    }

    /** Ids beyond an int threw ArithmeticException; 2^31 - 1 made the size wrap past the model check. */
    @Test
    void tokenIdsOutOfRangeAreRefusedByToken() throws IOException {
        TestTokenizer.write(tmp);
        String json = Files.readString(tmp.resolve("tokenizer.json"));
        for (String id : new String[] {"3000000000", "2147483647", "-1", "1.5"}) {
            Files.writeString(tmp.resolve("tokenizer.json"), json.replaceFirst("\"id\" : 1,", "\"id\" : " + id + ","));
            CheckpointException e = assertThrows(CheckpointException.class, () -> BloomTokenizer.load(tmp), id);
            assertTrue(e.getMessage().contains("token '<s>' has id " + id), e.getMessage());
        }
    }
}
