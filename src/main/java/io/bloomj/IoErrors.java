package io.bloomj;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/** What an I/O failure means for the user, in words, instead of the JDK's exception class name and path. */
public final class IoErrors {
    private IoErrors() {}

    public static String describe(IOException e) {
        return switch (e) {
            case NoSuchFileException n -> (n.getFile() == null ? "a file" : n.getFile()) + " does not exist";
            case AccessDeniedException a -> "permission denied on " + a.getFile();
            case NotDirectoryException d -> d.getFile() + " is not a folder";
            case CharacterCodingException c -> "not UTF-8 text";
            case FileSystemException f -> (f.getReason() == null ? "cannot access" : f.getReason()) + ": " + f.getFile();
            default -> e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        };
    }
}
