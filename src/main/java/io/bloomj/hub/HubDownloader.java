package io.bloomj.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bloomj.BloomjException;
import io.bloomj.tensor.ProgressListener;
import io.bloomj.model.BloomConfig;
import io.bloomj.model.Checkpoint;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Gets a BLOOM model from the Hugging Face Hub into the huggingface_hub cache ({@link HubCache}) and
 * returns its snapshot folder. A complete snapshot already in the cache is used without any network
 * access. Downloads go to {@code blobs/{etag}.incomplete}, resume with HTTP Range, are checked
 * against the announced size and the ETag (sha256 for LFS files, the git blob hash otherwise), and
 * are renamed into place only when correct; a lock file keeps two processes from writing the same blob.
 *
 * <p>Environment (as huggingface_hub): {@code HF_ENDPOINT}, {@code HF_TOKEN} or the token file
 * ({@code $HF_TOKEN_PATH}, {@code $HF_HOME/token}), {@code HF_HUB_OFFLINE=1}, {@code HF_HUB_CACHE} / {@code HF_HOME}.
 */
public final class HubDownloader {
    /** The model bloomj runs when none is named. */
    public static final String DEFAULT_MODEL = "cmarkea/bloomz-3b-dpo-chat";
    static final List<String> SMALL_FILES = List.of("config.json", "generation_config.json", "tokenizer.json",
            "tokenizer_config.json", "special_tokens_map.json");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<Path, java.util.concurrent.locks.ReentrantLock> LOCAL_LOCKS = new java.util.concurrent.ConcurrentHashMap<>();

    private final HubCache cache;
    private final String endpoint;
    private final String token;
    private final boolean offline;
    private final ProgressListener progress;
    private final HttpClient noRedirects;
    private final HttpClient redirects;
    private final java.util.concurrent.atomic.AtomicInteger requests = new java.util.concurrent.atomic.AtomicInteger();
    /** Free bytes where a blob is written (replaceable by tests: a full disk cannot be made on demand). */
    FreeSpace freeSpace = dir -> Files.getFileStore(dir).getUsableSpace();

    @FunctionalInterface
    interface FreeSpace {
        long of(Path dir) throws IOException;
    }

    public HubDownloader(HubCache cache, String endpoint, String token, boolean offline, ProgressListener progress) {
        this.cache = cache;
        this.endpoint = endpoint.endsWith("/") ? endpoint.substring(0, endpoint.length() - 1) : endpoint;
        this.token = token;
        this.offline = offline;
        this.progress = progress;
        this.noRedirects = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(15)).followRedirects(HttpClient.Redirect.NEVER).build();
        this.redirects = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(15)).followRedirects(HttpClient.Redirect.NORMAL).build();
    }

    /** A downloader configured from the process environment. */
    public static HubDownloader fromEnvironment(ProgressListener progress) {
        Map<String, String> env = System.getenv();
        return new HubDownloader(HubCache.fromEnvironment(env), env.getOrDefault("HF_ENDPOINT", "https://huggingface.co"),
                token(env), truthy(env.get("HF_HUB_OFFLINE")), progress);
    }

    static boolean truthy(String v) {
        return v != null && Set.of("1", "true", "yes", "on").contains(v.strip().toLowerCase(Locale.ROOT));
    }

    static String token(Map<String, String> env) {
        String t = env.get("HF_TOKEN");
        if (t != null && !t.isBlank()) return t.strip();
        String path = env.get("HF_TOKEN_PATH");
        Path file = path != null && !path.isBlank() ? Path.of(path) : HubCache.hfHome(env).resolve("token");
        try {
            return Files.isRegularFile(file) ? Files.readString(file).strip() : null;
        } catch (IOException e) {
            return null;
        }
    }

    public HubCache cache() {
        return cache;
    }

    /** HTTP requests made so far (tests check that a cached model costs none). */
    public int requests() {
        return requests.get();
    }

    /**
     * The local snapshot folder of {@code id}, downloading what is missing.
     *
     * @param refresh ask the Hub what the revision points to now even when a snapshot is cached
     */
    public Path resolve(RepoId id, boolean refresh) {
        Optional<String> cached = cache.cachedCommit(id);
        Optional<Path> complete = cached.map(c -> cache.snapshot(id, c)).filter(HubDownloader::isComplete);
        if (offline) {
            return complete.orElseThrow(() -> new HubException("HF_HUB_OFFLINE is set and " + id + " is not (completely) in the cache "
                    + cache.root() + "; download it once with network access: bloomj download " + id));
        }
        if (complete.isPresent() && !refresh) return complete.get();
        try {
            return download(id);
        } catch (NetworkException e) {
            if (complete.isPresent()) return complete.get();
            throw new HubException("cannot reach " + endpoint + " (" + e.getMessage() + ") and " + id + " is not in the cache "
                    + cache.root(), 0, e);
        }
    }

    /** True when a snapshot holds config.json and all its safetensors weights. */
    static boolean isComplete(Path snapshot) {
        if (!Files.isRegularFile(snapshot.resolve(Checkpoint.CONFIG))) return false;
        Path index = snapshot.resolve(Checkpoint.INDEX);
        if (Files.isRegularFile(index)) {
            try {
                for (String shard : shards(Files.readString(index))) if (!Files.isRegularFile(snapshot.resolve(shard))) return false;
                return true;
            } catch (IOException | RuntimeException e) {
                return false;
            }
        }
        return Files.isRegularFile(snapshot.resolve(Checkpoint.SINGLE_FILE));
    }

    private static Set<String> shards(String indexJson) throws IOException {
        Set<String> files = new LinkedHashSet<>();
        JsonNode map = JSON.readTree(indexJson).path("weight_map");
        for (Iterator<JsonNode> it = map.elements(); it.hasNext(); ) files.add(it.next().asText());
        return files;
    }

    private Path download(RepoId id) {
        JsonNode info = getJson("/api/models/" + id.repo() + "/revision/" + encode(id.revision()), id, "model info");
        String commit = info.path("sha").asText(null);
        if (commit == null) throw new HubException("the Hub answered without a commit for " + id);
        Set<String> siblings = new LinkedHashSet<>();
        for (JsonNode s : info.path("siblings")) siblings.add(s.path("rfilename").asText());
        if (!siblings.contains(Checkpoint.CONFIG)) throw new HubException(id + " has no config.json: it is not a transformers model");
        try {
            Path snapshot = cache.snapshot(id, commit);
            fetch(id, commit, Checkpoint.CONFIG);
            try {
                BloomConfig.read(snapshot.resolve(Checkpoint.CONFIG));
            } catch (BloomjException e) {
                throw new HubException(id + " is not a BLOOM model: " + e.getMessage());
            }
            List<String> files = new ArrayList<>();
            for (String f : SMALL_FILES) if (!f.equals(Checkpoint.CONFIG) && siblings.contains(f)) files.add(f);
            if (siblings.contains(Checkpoint.INDEX)) {
                fetch(id, commit, Checkpoint.INDEX);
                files.addAll(shards(Files.readString(snapshot.resolve(Checkpoint.INDEX))));
            } else if (siblings.contains(Checkpoint.SINGLE_FILE)) {
                files.add(Checkpoint.SINGLE_FILE);
            } else {
                throw new HubException(id + " has no safetensors weights (" + (siblings.contains("pytorch_model.bin")
                        ? "only pytorch_model.bin" : "no model.safetensors") + "); bloomj requires safetensors");
            }
            for (String f : files) fetch(id, commit, f);
            cache.writeRef(id, commit);
            return snapshot;
        } catch (IOException e) {
            throw new HubException("cannot write to the cache " + cache.root() + ": " + e.getMessage(), 0, e);
        }
    }

    /** Metadata of one file from a HEAD request that is not redirected (LFS headers sit on the redirect). */
    private record FileMeta(String etag, long size) {}

    private FileMeta head(RepoId id, String commit, String file) {
        HttpResponse<Void> r = send(noRedirects, request(resolveUrl(id, commit, file)).method("HEAD", HttpRequest.BodyPublishers.noBody())
                .header("Accept-Encoding", "identity").build(), HttpResponse.BodyHandlers.discarding(), id, file);
        int status = r.statusCode();
        if (status >= 400) throw statusError(status, id, file);
        String etag = r.headers().firstValue("X-Linked-Etag").or(() -> r.headers().firstValue("ETag"))
                .map(HubDownloader::normalizeEtag).orElseThrow(() -> new HubException("the Hub sent no ETag for " + file + " of " + id));
        long size = r.headers().firstValueAsLong("X-Linked-Size").orElse(r.headers().firstValueAsLong("Content-Length").orElse(-1));
        return new FileMeta(etag, size);
    }

    static String normalizeEtag(String etag) {
        String e = etag.strip();
        if (e.startsWith("W/")) e = e.substring(2);
        if (e.startsWith("\"") && e.endsWith("\"") && e.length() >= 2) e = e.substring(1, e.length() - 1);
        if (!e.matches("[A-Za-z0-9._-]+")) throw new HubException("unexpected ETag '" + etag + "'");
        return e;
    }

    private void fetch(RepoId id, String commit, String file) throws IOException {
        FileMeta meta = head(id, commit, file);
        Path blob = cache.blob(id, meta.etag());
        if (!Files.isRegularFile(blob) || (meta.size() >= 0 && Files.size(blob) != meta.size())) {
            Files.createDirectories(blob.getParent());
            Path lockFile = cache.lock(id, meta.etag());
            Files.createDirectories(lockFile.getParent());
            // File locks exclude other processes; within this JVM they must not overlap, so threads queue first.
            java.util.concurrent.locks.ReentrantLock local = LOCAL_LOCKS.computeIfAbsent(lockFile.toAbsolutePath(),
                    k -> new java.util.concurrent.locks.ReentrantLock());
            local.lock();
            try (FileChannel lockChannel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock ignored = lockChannel.lock()) {
                // Another process may have finished this blob while we waited for the lock.
                if (!Files.isRegularFile(blob) || (meta.size() >= 0 && Files.size(blob) != meta.size())) {
                    downloadBlob(id, commit, file, meta, blob);
                }
            } finally {
                local.unlock();
            }
        }
        cache.link(id, commit, file, meta.etag());
    }

    private void downloadBlob(RepoId id, String commit, String file, FileMeta meta, Path blob) throws IOException {
        Path partial = blob.resolveSibling(blob.getFileName() + ".incomplete");
        long have = Files.isRegularFile(partial) ? Files.size(partial) : 0;
        if (meta.size() >= 0 && have > meta.size()) {
            Files.delete(partial);
            have = 0;
        }
        long free = freeSpace.of(blob.getParent());
        if (meta.size() >= 0 && meta.size() - have > free) {
            throw new HubException(String.format(Locale.ROOT, "disk full: %s of %s needs %s more in %s, only %s free",
                    file, id, human(meta.size() - have), cache.root(), human(free)));
        }
        HttpRequest.Builder rb = request(resolveUrl(id, commit, file)).GET().header("Accept-Encoding", "identity");
        if (have > 0) rb.header("Range", "bytes=" + have + "-");
        HttpResponse<InputStream> r = send(redirects, rb.build(), HttpResponse.BodyHandlers.ofInputStream(), id, file);
        int status = r.statusCode();
        if (status >= 400 && status != 416) {
            r.body().close();
            throw statusError(status, id, file);
        }
        boolean append = status == 206;
        if (!append) have = 0;                                   // the server sent the whole file
        MessageDigest digest = digestFor(meta.etag(), meta.size());
        if (append && digest != null) hashExisting(partial, digest);
        String stage = "downloading " + file + " (" + id + ")";
        long total = meta.size() >= 0 ? meta.size() : -1;
        try (InputStream in = r.body();
             OutputStream out = Files.newOutputStream(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
            byte[] buf = new byte[1 << 20];
            long done = have;
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
                if (digest != null) digest.update(buf, 0, n);
                done += n;
                if (total > 0) progress.progress(stage, Math.min(done, total), total);
            }
        } catch (IOException e) {
            if (String.valueOf(e.getMessage()).contains("No space left")) {
                throw new HubException("disk full while downloading " + file + " of " + id + " into " + cache.root()
                        + "; the partial file is kept and the download resumes next time", 0, e);
            }
            throw new NetworkException("download of " + file + " interrupted (" + e.getMessage() + "); run again to resume", e);
        }
        long got = Files.size(partial);
        if (meta.size() >= 0 && got != meta.size()) {
            throw new NetworkException("download of " + file + " ended after " + got + " of " + meta.size()
                    + " bytes; run again to resume", null);
        }
        if (digest != null) {
            String actual = HexFormat.of().formatHex(digest.digest());
            if (!actual.equalsIgnoreCase(meta.etag())) {
                Files.deleteIfExists(partial);
                throw new HubException("checksum mismatch for " + file + " of " + id + ": expected " + meta.etag() + ", got "
                        + actual + "; the corrupt download was removed, nothing in the cache changed");
            }
        }
        Files.move(partial, blob, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static String human(long bytes) {
        if (bytes < 10_000_000) return String.format(Locale.ROOT, "%.1f kB", bytes / 1e3);
        return String.format(Locale.ROOT, "%.2f GB", bytes / 1e9);
    }

    /** sha256 for LFS ETags (64 hex), git's blob sha1 for the others (40 hex), else nothing to check. */
    private static MessageDigest digestFor(String etag, long size) {
        try {
            if (etag.matches("[0-9a-fA-F]{64}")) return MessageDigest.getInstance("SHA-256");
            if (etag.matches("[0-9a-fA-F]{40}") && size >= 0) {
                MessageDigest d = MessageDigest.getInstance("SHA-1");
                d.update(("blob " + size + "\0").getBytes(StandardCharsets.US_ASCII));
                return d;
            }
            return null;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void hashExisting(Path file, MessageDigest digest) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 20];
            int n;
            while ((n = in.read(buf)) > 0) digest.update(buf, 0, n);
        }
    }

    private String resolveUrl(RepoId id, String commit, String file) {
        return "/" + id.repo() + "/resolve/" + commit + "/" + file;
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(endpoint + path)).timeout(Duration.ofMinutes(10))
                .header("User-Agent", "bloomj/0.1 (huggingface_hub compatible)");
        if (token != null) b.header("Authorization", "Bearer " + token);
        return b;
    }

    private JsonNode getJson(String path, RepoId id, String what) {
        HttpResponse<String> r = send(redirects, request(path).GET().build(), HttpResponse.BodyHandlers.ofString(), id, what);
        if (r.statusCode() >= 400) throw statusError(r.statusCode(), id, what);
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new HubException("the Hub's answer for " + id + " is not JSON: " + e.getMessage());
        }
    }

    private <T> HttpResponse<T> send(HttpClient client, HttpRequest req, HttpResponse.BodyHandler<T> handler, RepoId id, String what) {
        requests.incrementAndGet();
        try {
            return client.send(req, handler);
        } catch (ConnectException | HttpConnectTimeoutException | java.nio.channels.UnresolvedAddressException e) {
            throw new NetworkException(e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()), e);
        } catch (IOException e) {
            throw new NetworkException(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HubException("interrupted while fetching " + what + " of " + id);
        }
    }

    private HubException statusError(int status, RepoId id, String what) {
        return switch (status) {
            case 401, 403 -> new HubException(token == null
                    ? id + " is gated or private (HTTP " + status + "): accept its terms on the Hub and set HF_TOKEN (or run huggingface-cli login)"
                    : id + ": your token has no access to this repository (HTTP " + status + "); check the token and the repository's terms",
                    status, null);
            case 404 -> new HubException(what.equals("model info")
                    ? "repository " + id.repo() + " or revision '" + id.revision() + "' not found on " + endpoint + " (HTTP 404)"
                    : what + " not found in " + id + " (HTTP 404)", status, null);
            default -> new HubException("the Hub answered HTTP " + status + " for " + what + " of " + id, status, null);
        };
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** A transfer that failed for network reasons: the cache may still serve the model. */
    static final class NetworkException extends BloomjException {
        NetworkException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
