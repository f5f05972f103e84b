package io.bloomj.hub;

import io.bloomj.InvalidInputException;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Hugging Face Hub model repository and revision: {@code org/name} or {@code org/name@revision}
 * (a branch, a tag or a commit hash; default {@code main}).
 */
public record RepoId(String repo, String revision) {
    private static final Pattern SPEC = Pattern.compile("([A-Za-z0-9][\\w.-]*/[\\w.-]+)(?:@([\\w./-]+))?");
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");

    public RepoId {
        if (!SPEC.matcher(repo).matches() || repo.contains("..")) throw new InvalidInputException("not a Hub repo id: '" + repo + "'");
        if (revision.isBlank() || revision.contains("..")) throw new InvalidInputException("invalid revision '" + revision + "'");
    }

    /** Whether {@code spec} looks like {@code org/name[@revision]} (and not like a path). */
    public static boolean looksLikeRepo(String spec) {
        return SPEC.matcher(spec).matches() && !spec.startsWith(".") && !spec.startsWith("/");
    }

    public static RepoId parse(String spec) {
        Matcher m = SPEC.matcher(spec);
        if (!m.matches()) {
            throw new InvalidInputException("'" + spec + "' is neither a model folder nor a Hub repo id (org/name or org/name@revision)");
        }
        return new RepoId(m.group(1), m.group(2) == null ? "main" : m.group(2));
    }

    /** The cache folder name huggingface_hub uses: {@code models--org--name}. */
    public String folderName() {
        return "models--" + repo.replace("/", "--");
    }

    /** Whether the revision is already a full commit hash. */
    public boolean isCommit() {
        return COMMIT.matcher(revision).matches();
    }

    @Override
    public String toString() {
        return repo + (revision.equals("main") ? "" : "@" + revision);
    }
}
