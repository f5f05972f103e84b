package io.bloomj.hub;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The cache layout of Python's huggingface_hub, so models downloaded by either are shared:
 *
 * <pre>
 * {root}/models--{org}--{name}/
 *     blobs/{etag}                      file contents, named by their ETag (sha256 for LFS files)
 *     refs/{revision}                   the commit hash a branch or tag pointed to
 *     snapshots/{commit}/{file}         relative symlink to ../../blobs/{etag}
 * {root}/.locks/models--{org}--{name}/{etag}.lock
 * </pre>
 *
 * Root: {@code $HF_HUB_CACHE}, else {@code $HF_HOME/hub}, else {@code ~/.cache/huggingface/hub}.
 */
public final class HubCache {
    private final Path root;

    public HubCache(Path root) {
        this.root = root;
    }

    public static HubCache fromEnvironment(Map<String, String> env) {
        String hubCache = env.get("HF_HUB_CACHE");
        if (hubCache != null && !hubCache.isBlank()) return new HubCache(Path.of(hubCache));
        return new HubCache(hfHome(env).resolve("hub"));
    }

    static Path hfHome(Map<String, String> env) {
        String home = env.get("HF_HOME");
        if (home != null && !home.isBlank()) return Path.of(home);
        String xdg = env.get("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("huggingface");
    }

    public Path root() {
        return root;
    }

    public Path repoDir(RepoId id) {
        return root.resolve(id.folderName());
    }

    public Path blob(RepoId id, String etag) {
        return repoDir(id).resolve("blobs").resolve(etag);
    }

    public Path snapshot(RepoId id, String commit) {
        return repoDir(id).resolve("snapshots").resolve(commit);
    }

    public Path lock(RepoId id, String etag) {
        return root.resolve(".locks").resolve(id.folderName()).resolve(etag + ".lock");
    }

    Path ref(RepoId id) {
        return repoDir(id).resolve("refs").resolve(id.revision());
    }

    /** The commit the revision resolves to locally: the hash itself, or what refs/{revision} holds. */
    public Optional<String> cachedCommit(RepoId id) {
        if (id.isCommit()) return Files.isDirectory(snapshot(id, id.revision())) ? Optional.of(id.revision()) : Optional.empty();
        try {
            Path ref = ref(id);
            return Files.isRegularFile(ref) ? Optional.of(Files.readString(ref).strip()) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    void writeRef(RepoId id, String commit) throws IOException {
        if (id.isCommit()) return;
        Path ref = ref(id);
        Files.createDirectories(ref.getParent());
        Path tmp = Files.createTempFile(ref.getParent(), ".ref", ".tmp");
        Files.writeString(tmp, commit);
        Files.move(tmp, ref, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Points snapshots/{commit}/{file} at blobs/{etag} with a relative link, as huggingface_hub does.
     * The link is made under a temporary name and renamed into place, so processes linking the same
     * file at once never see it missing or half made.
     */
    void link(RepoId id, String commit, String file, String etag) throws IOException {
        Path link = snapshot(id, commit).resolve(file);
        Files.createDirectories(link.getParent());
        Path target = link.getParent().relativize(blob(id, etag));
        Path tmp = link.resolveSibling("." + link.getFileName() + "." + ProcessHandle.current().pid() + "."
                + Thread.currentThread().threadId() + ".tmp");
        Files.deleteIfExists(tmp);
        try {
            Files.createSymbolicLink(tmp, target);
        } catch (UnsupportedOperationException | IOException e) {
            Files.copy(blob(id, etag), tmp);   // file systems without symlinks: a copy, as huggingface_hub falls back to
        }
        Files.move(tmp, link, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
}
