package io.bloomj.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bloomj.hub.HubCache;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

@Command(name = "models", mixinStandardHelpOptions = true,
        description = "List the BLOOM models in the huggingface_hub cache (shared with Python tools), with their sizes.")
final class ModelsCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Mixin
    VerboseOption verbose;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        HubCache cache = HubCache.fromEnvironment(System.getenv());
        out.println("cache: " + cache.root());
        if (!Files.isDirectory(cache.root())) {
            out.println("(empty)");
            return 0;
        }
        List<Path> repos;
        try (Stream<Path> s = Files.list(cache.root())) {
            repos = s.filter(p -> p.getFileName().toString().startsWith("models--")).sorted().toList();
        }
        int shown = 0;
        for (Path repo : repos) {
            Path snapshots = repo.resolve("snapshots");
            if (!Files.isDirectory(snapshots)) continue;
            List<Path> snaps;
            try (Stream<Path> s = Files.list(snapshots)) {
                snaps = s.sorted().toList();
            }
            for (Path snap : snaps) {
                if (!isBloom(snap.resolve("config.json"))) continue;
                String name = repo.getFileName().toString().substring("models--".length()).replaceFirst("--", "/");
                out.printf("%-45s %-12s %10s  %s%n", name, snap.getFileName().toString().substring(0, Math.min(12,
                        snap.getFileName().toString().length())), Sizes.bytes(size(snap)), refsOf(repo, snap.getFileName().toString()));
                shown++;
            }
        }
        if (shown == 0) out.println("(no BLOOM models)");
        return 0;
    }

    private static boolean isBloom(Path config) {
        try {
            JsonNode n = JSON.readTree(Files.readString(config));
            return "bloom".equals(n.path("model_type").asText());
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static long size(Path snapshot) throws IOException {
        try (Stream<Path> s = Files.list(snapshot)) {
            return s.mapToLong(p -> {
                try {
                    return Files.size(p);   // follows the symlink to the blob
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        }
    }

    private static String refsOf(Path repo, String commit) throws IOException {
        Path refs = repo.resolve("refs");
        if (!Files.isDirectory(refs)) return "";
        StringBuilder sb = new StringBuilder();
        try (Stream<Path> s = Files.walk(refs)) {
            for (Path r : s.filter(Files::isRegularFile).toList()) {
                if (Files.readString(r).strip().equals(commit)) sb.append(sb.isEmpty() ? "" : ", ").append(refs.relativize(r));
            }
        }
        return sb.toString();
    }
}
