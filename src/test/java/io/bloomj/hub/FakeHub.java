package io.bloomj.hub;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A Hub-like HTTP server on 127.0.0.1 for tests: {@code /api/models/{repo}/revision/{rev}} and
 * {@code /{repo}/resolve/{rev}/{file}} with ETag, X-Repo-Commit, X-Linked-Etag/X-Linked-Size (LFS
 * files answer HEAD with a redirect carrying them, as the real Hub does), Range requests, gated repos,
 * and injectable faults (a body cut short, a corrupted body).
 */
final class FakeHub implements AutoCloseable {
    record Repo(String commit, Map<String, byte[]> files, String requiredToken) {}

    private final HttpServer server;
    final Map<String, Repo> repos = new ConcurrentHashMap<>();
    final List<String> log = Collections.synchronizedList(new ArrayList<>());
    /** File name -> bytes after which the next GET of it is cut (once). */
    final Map<String, Integer> cutOnce = new ConcurrentHashMap<>();
    /** File names whose body is served with one byte flipped. */
    final Set<String> corrupt = ConcurrentHashMap.newKeySet();

    FakeHub() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    void add(String repo, String commit, Map<String, byte[]> files, String requiredToken) {
        repos.put(repo, new Repo(commit, new LinkedHashMap<>(files), requiredToken));
    }

    int requests() {
        return log.size();
    }

    static boolean isLfs(String file) {
        return file.endsWith(".safetensors") || file.endsWith(".bin");
    }

    static String etag(String file, byte[] content) {
        try {
            if (isLfs(file)) return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            sha1.update(("blob " + content.length + "\0").getBytes(StandardCharsets.US_ASCII));
            return HexFormat.of().formatHex(sha1.digest(content));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        String range = ex.getRequestHeaders().getFirst("Range");
        log.add(ex.getRequestMethod() + " " + path + (range == null ? "" : " " + range));
        try (ex) {
            if (path.startsWith("/api/models/")) {
                api(ex, path.substring("/api/models/".length()));
            } else if (path.startsWith("/cdn/")) {
                String[] p = path.substring(5).split("/", 3);   // {org}/{name}/{file} after the redirect
                cdn(ex, p[0] + "/" + p[1], p[2]);
            } else {
                resolve(ex, path.substring(1));
            }
        }
    }

    private boolean authorized(HttpExchange ex, Repo r) throws IOException {
        if (r.requiredToken() == null) return true;
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        if (("Bearer " + r.requiredToken()).equals(auth)) return true;
        send(ex, auth == null ? 401 : 403, "{\"error\":\"Access to this model is restricted\"}");
        return false;
    }

    private void api(HttpExchange ex, String rest) throws IOException {
        int at = rest.indexOf("/revision/");
        String repo = rest.substring(0, at);
        Repo r = repos.get(repo);
        if (r == null) {
            send(ex, 404, "{\"error\":\"Repository not found\"}");
            return;
        }
        if (!authorized(ex, r)) return;
        StringBuilder sb = new StringBuilder("{\"id\":\"" + repo + "\",\"sha\":\"" + r.commit() + "\",\"siblings\":[");
        int i = 0;
        for (String f : r.files().keySet()) sb.append(i++ == 0 ? "" : ",").append("{\"rfilename\":\"").append(f).append("\"}");
        send(ex, 200, sb.append("]}").toString());
    }

    private void resolve(HttpExchange ex, String rest) throws IOException {
        int at = rest.indexOf("/resolve/");
        String repo = rest.substring(0, at);
        String[] revFile = rest.substring(at + "/resolve/".length()).split("/", 2);
        Repo r = repos.get(repo);
        if (r == null || !(revFile[0].equals(r.commit()) || revFile[0].equals("main"))) {
            send(ex, 404, "not found");
            return;
        }
        if (!authorized(ex, r)) return;
        byte[] content = r.files().get(revFile[1]);
        if (content == null) {
            send(ex, 404, "Entry not found");
            return;
        }
        ex.getResponseHeaders().add("X-Repo-Commit", r.commit());
        String etag = etag(revFile[1], content);
        if (isLfs(revFile[1])) {
            ex.getResponseHeaders().add("X-Linked-Etag", "\"" + etag + "\"");
            ex.getResponseHeaders().add("X-Linked-Size", String.valueOf(content.length));
            ex.getResponseHeaders().add("ETag", "\"git-pointer-not-the-content\"");
            ex.getResponseHeaders().add("Location", "/cdn/" + repo + "/" + revFile[1]);
            ex.sendResponseHeaders(302, -1);
            return;
        }
        ex.getResponseHeaders().add("ETag", "\"" + etag + "\"");
        body(ex, revFile[1], content);
    }

    private void cdn(HttpExchange ex, String repo, String file) throws IOException {
        body(ex, file, repos.get(repo).files().get(file));
    }

    private void body(HttpExchange ex, String file, byte[] content) throws IOException {
        if (corrupt.contains(file)) {
            content = content.clone();
            content[content.length / 2] ^= 0x55;
        }
        int start = 0;
        String range = ex.getRequestHeaders().getFirst("Range");
        if (range != null && range.startsWith("bytes=")) start = Integer.parseInt(range.substring(6, range.indexOf('-')));
        int length = content.length - start;
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.getResponseHeaders().add("Content-Length", String.valueOf(content.length));
            ex.sendResponseHeaders(200, -1);
            return;
        }
        if (start > 0) ex.getResponseHeaders().add("Content-Range", "bytes " + start + "-" + (content.length - 1) + "/" + content.length);
        Integer cut = cutOnce.remove(file);
        ex.sendResponseHeaders(start > 0 ? 206 : 200, length);
        OutputStream out = ex.getResponseBody();
        if (cut != null) {
            out.write(content, start, Math.min(cut, length));
            out.flush();
            ex.getHttpContext().getServer();   // the connection is dropped below without the rest of the body
            throw new IOException("cut");
        }
        out.write(content, start, length);
    }

    private static void send(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
