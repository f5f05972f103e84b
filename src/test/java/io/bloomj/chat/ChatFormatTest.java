package io.bloomj.chat;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

class ChatFormatTest {
    @Test
    void threeTurnConversationIsExactlyTheTrainingFormat() {
        ChatFormat f = new ChatFormat(1, 2);
        int[] u1 = {10, 11}, b1 = {20, 21, 22}, u2 = {12}, b2 = {23}, u3 = {13, 14};
        int[] rendered = f.render(null, List.of(new ChatFormat.Exchange(u1, b1), new ChatFormat.Exchange(u2, b2)), u3);
        // </s> u1 <s> b1 </s> u2 <s> b2 </s> u3 <s>
        assertArrayEquals(new int[] {2, 10, 11, 1, 20, 21, 22, 2, 12, 1, 23, 2, 13, 14, 1}, rendered);
        assertArrayEquals(new int[] {7, 8, 2, 13, 14, 1}, f.render(new int[] {7, 8}, List.of(), u3), "preamble first");
    }
}
