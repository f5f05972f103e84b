package io.bloomj.cli;

import io.bloomj.InvalidInputException;

/** Parses {@code 1,5,9} into token ids, with a message that says what is wrong. */
final class TokenList {
    private TokenList() {}

    static int[] parse(String value) {
        String[] parts = value.split(",", -1);
        int[] ids = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i].trim();
            try {
                ids[i] = Integer.parseInt(p);
            } catch (NumberFormatException e) {
                throw new InvalidInputException("--tokens expects comma-separated integer ids, '" + p + "' is not one");
            }
        }
        return ids;
    }
}
