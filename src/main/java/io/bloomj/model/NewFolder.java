package io.bloomj.model;

import io.bloomj.BloomjException;
import io.bloomj.IoErrors;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Writes a new folder all at once: the contents go to a hidden sibling ({@code .NAME.partial-PID})
 * that is renamed into place only when complete, so a failure or an interruption never leaves a
 * half-written model under the name, and an existing folder is never touched.
 */
final class NewFolder {
    /** What fills the folder. */
    @FunctionalInterface
    interface Contents {
        void writeInto(Path dir) throws IOException;
    }

    private NewFolder() {}

    /**
     * @param command the command that writes it, for messages ("random-model", "quantize")
     * @throws BloomjException if {@code out} exists or cannot be written (the partial folder is removed)
     */
    static void write(Path out, String command, Contents contents) {
        Path target = out.toAbsolutePath().normalize();
        if (Files.exists(target)) throw new BloomjException(target + " already exists; " + command + " writes a new folder and never overwrites one");
        Path tmp = target.resolveSibling("." + target.getFileName() + ".partial-" + ProcessHandle.current().pid());
        try {
            Files.createDirectories(tmp);
            contents.writeInto(tmp);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException e) {
            deleteQuietly(tmp);
            throw new BloomjException(target + " already exists; " + command + " never overwrites a folder");
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new BloomjException("cannot write " + target + ": " + IoErrors.describe(e), e);
        } catch (RuntimeException e) {
            deleteQuietly(tmp);
            throw e;
        }
    }

    private static void deleteQuietly(Path dir) {
        if (!Files.exists(dir)) return;
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort: a leftover hidden .partial folder is harmless
        }
    }
}
