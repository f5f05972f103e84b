package io.bloomj.hub;

import io.bloomj.api.Bloom;
import io.bloomj.api.BloomModel;
import io.bloomj.api.GenerationConfig;
import io.bloomj.api.GenerationListener;
import io.bloomj.api.GenerationResult;
import io.bloomj.api.LoadOptions;
import io.bloomj.tensor.ProgressListener;
import io.bloomj.testing.TestTokenizer;
import io.bloomj.testing.TinyBloom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Downloads from a Hub-like server on 127.0.0.1 into a huggingface_hub-layout cache. */
class HubDownloaderTest {
    private static final String REPO = "cmarkea/bloomz-tiny-test";
    private static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";

    @TempDir
    Path tmp;
    private FakeHub hub;
    private Map<String, byte[]> files;

    @BeforeEach
    void start() throws IOException {
        hub = new FakeHub();
        files = checkpointFiles(TinyBloom.standard().withVocab(TestTokenizer.VOCAB + 12), tmp.resolve("src"));
        hub.add(REPO, COMMIT, files, null);
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    /** The files of a tiny checkpoint plus files a Hub repo has that bloomj must not fetch. */
    static Map<String, byte[]> checkpointFiles(TinyBloom spec, Path dir) throws IOException {
        spec.writeTo(dir);
        TestTokenizer.write(dir);
        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": 2}");
        Map<String, byte[]> files = new LinkedHashMap<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.sorted().toList()) files.put(p.getFileName().toString(), Files.readAllBytes(p));
        }
        files.put("README.md", "# test model".getBytes());
        files.put("pytorch_model.bin", new byte[] {1, 2, 3, 4});
        return files;
    }

    private HubDownloader downloader(String token, boolean offline) {
        return new HubDownloader(new HubCache(tmp.resolve("cache")), hub.endpoint(), token, offline, ProgressListener.NONE);
    }

    @Test
    void freshDownloadProducesTheHuggingfaceHubLayoutAndOnlyTheNeededFiles() throws IOException {
        Path snapshot = downloader(null, false).resolve(RepoId.parse(REPO), false);
        Path repoDir = tmp.resolve("cache").resolve("models--cmarkea--bloomz-tiny-test");
        assertEquals(repoDir.resolve("snapshots").resolve(COMMIT), snapshot);
        assertEquals(COMMIT, Files.readString(repoDir.resolve("refs").resolve("main")));
        for (String f : List.of("config.json", "generation_config.json", "tokenizer.json", "model.safetensors")) {
            Path link = snapshot.resolve(f);
            assertTrue(Files.isSymbolicLink(link), f + " is a symlink");
            Path target = Files.readSymbolicLink(link);
            assertFalse(target.isAbsolute(), "relative link, as huggingface_hub makes");
            assertEquals(Path.of("..", "..", "blobs", FakeHub.etag(f, files.get(f))), target);
            assertArrayEquals(files.get(f), Files.readAllBytes(link));
        }
        assertFalse(Files.exists(snapshot.resolve("pytorch_model.bin")), "no pytorch weights when safetensors exist");
        assertFalse(Files.exists(snapshot.resolve("README.md")));
        assertTrue(Files.isDirectory(tmp.resolve("cache").resolve(".locks").resolve("models--cmarkea--bloomz-tiny-test")));
        try (Stream<Path> s = Files.list(repoDir.resolve("blobs"))) {
            assertTrue(s.noneMatch(p -> p.toString().endsWith(".incomplete")));
        }
        assertTrue(hub.log.stream().noneMatch(l -> l.contains("pytorch_model.bin") || l.contains("README")), hub.log.toString());
    }

    @Test
    void aCachedSnapshotIsUsedWithoutAnyRequestAndOfflineModeWorksFromIt() {
        downloader(null, false).resolve(RepoId.parse(REPO), false);
        int before = hub.requests();
        HubDownloader second = downloader(null, false);
        Path snapshot = second.resolve(RepoId.parse(REPO), false);
        assertEquals(0, second.requests());
        assertEquals(before, hub.requests(), "the second run made no request");
        HubDownloader offline = downloader(null, true);
        assertEquals(snapshot, offline.resolve(RepoId.parse(REPO), false));
        assertEquals(before, hub.requests());
        HubException e = assertThrows(HubException.class, () -> offline.resolve(RepoId.parse("cmarkea/not-cached"), false));
        assertTrue(e.getMessage().contains("HF_HUB_OFFLINE") && e.getMessage().contains("not (completely) in the cache"), e.getMessage());
    }

    @Test
    void anInterruptedDownloadResumesWithARangeRequest() throws IOException {
        int size = files.get("model.safetensors").length;
        hub.cutOnce.put("model.safetensors", size / 3);
        HubException first = assertThrows(HubException.class, () -> downloader(null, false).resolve(RepoId.parse(REPO), false));
        assertTrue(first.getMessage().contains("resume"), first.getMessage());
        Path partial = tmp.resolve("cache/models--cmarkea--bloomz-tiny-test/blobs")
                .resolve(FakeHub.etag("model.safetensors", files.get("model.safetensors")) + ".incomplete");
        assertTrue(Files.size(partial) > 0 && Files.size(partial) < size, "the partial download is kept");
        Path snapshot = downloader(null, false).resolve(RepoId.parse(REPO), false);
        assertTrue(hub.log.stream().anyMatch(l -> l.matches("GET /cdn/.*model.safetensors bytes=[1-9]\\d*-")), hub.log.toString());
        assertArrayEquals(files.get("model.safetensors"), Files.readAllBytes(snapshot.resolve("model.safetensors")));
    }

    @Test
    void aCorruptedBodyIsDetectedAndDiscarded() throws IOException {
        hub.corrupt.add("model.safetensors");
        HubException e = assertThrows(HubException.class, () -> downloader(null, false).resolve(RepoId.parse(REPO), false));
        assertTrue(e.getMessage().contains("checksum mismatch") && e.getMessage().contains("model.safetensors"), e.getMessage());
        Path blobs = tmp.resolve("cache/models--cmarkea--bloomz-tiny-test/blobs");
        try (Stream<Path> s = Files.list(blobs)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(FakeHub.etag("model.safetensors", files.get("model.safetensors")))),
                    "neither the corrupt blob nor its partial file stays in the cache");
        }
        hub.corrupt.clear();
        Path snapshot = downloader(null, false).resolve(RepoId.parse(REPO), false);
        assertArrayEquals(files.get("model.safetensors"), Files.readAllBytes(snapshot.resolve("model.safetensors")));
    }

    @Test
    void gatedAndUnknownRepositoriesGiveActionableErrors() {
        hub.add("bigscience/gated", COMMIT, files, "secret");
        HubException noToken = assertThrows(HubException.class, () -> downloader(null, false).resolve(RepoId.parse("bigscience/gated"), false));
        assertEquals(401, noToken.status());
        assertTrue(noToken.getMessage().contains("gated or private") && noToken.getMessage().contains("HF_TOKEN"), noToken.getMessage());
        HubException badToken = assertThrows(HubException.class, () -> downloader("wrong", false).resolve(RepoId.parse("bigscience/gated"), false));
        assertTrue(badToken.getMessage().contains("your token has no access"), badToken.getMessage());
        assertTrue(Files.isDirectory(downloader("secret", false).resolve(RepoId.parse("bigscience/gated"), false)));
        HubException missing = assertThrows(HubException.class, () -> downloader(null, false).resolve(RepoId.parse("nobody/nothing"), false));
        assertEquals(404, missing.status());
        assertTrue(missing.getMessage().contains("nobody/nothing") && missing.getMessage().contains("not found"), missing.getMessage());
    }

    @Test
    void aFullDiskStopsBeforeWritingAndLeavesTheCacheClean() throws IOException {
        HubDownloader d = downloader(null, false);
        long weights = files.get("model.safetensors").length;
        d.freeSpace = dir -> weights / 2;   // room for the small files, not for the weights
        HubException e = assertThrows(HubException.class, () -> d.resolve(RepoId.parse(REPO), false));
        assertTrue(e.getMessage().startsWith("disk full") && e.getMessage().contains("model.safetensors")
                && e.getMessage().contains(" free"), e.getMessage());
        Path blobs = tmp.resolve("cache/models--cmarkea--bloomz-tiny-test/blobs");
        try (Stream<Path> s = Files.list(blobs)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(FakeHub.etag("model.safetensors", files.get("model.safetensors")))),
                    "no partial weights");
        }
        assertFalse(Files.exists(tmp.resolve("cache/models--cmarkea--bloomz-tiny-test/refs/main")), "no ref to an incomplete snapshot");
        assertTrue(Files.isDirectory(downloader(null, false).resolve(RepoId.parse(REPO), false)), "with room, the download completes");
    }

    @Test
    void noNetworkAndNothingCached() {
        HubDownloader d = new HubDownloader(new HubCache(tmp.resolve("cache")), "http://127.0.0.1:1", null, false, ProgressListener.NONE);
        HubException e = assertThrows(HubException.class, () -> d.resolve(RepoId.parse(REPO), false));
        assertTrue(e.getMessage().contains("cannot reach") && e.getMessage().contains("not in the cache"), e.getMessage());
    }

    @Test
    void aRepositoryThatIsNotBloomIsRefusedBeforeItsWeights() throws IOException {
        Map<String, byte[]> llama = new LinkedHashMap<>(files);
        llama.put("config.json", new String(files.get("config.json")).replace("\"bloom\"", "\"llama\"").getBytes());
        hub.add("meta/llama-tiny", COMMIT, llama, null);
        HubException e = assertThrows(HubException.class, () -> downloader(null, false).resolve(RepoId.parse("meta/llama-tiny"), false));
        assertTrue(e.getMessage().contains("not a BLOOM model"), e.getMessage());
        assertTrue(hub.log.stream().noneMatch(l -> l.contains("llama-tiny") && l.contains("safetensors")), hub.log.toString());
    }

    @Test
    void shardedWeightsAreFetchedThroughTheIndex() throws IOException {
        Map<String, byte[]> sharded = checkpointFiles(TinyBloom.standard().withVocab(TestTokenizer.VOCAB + 12).withShards(3),
                tmp.resolve("sharded"));
        hub.add("org/sharded", COMMIT, sharded, null);
        Path snapshot = downloader(null, false).resolve(RepoId.parse("org/sharded"), false);
        for (int i = 1; i <= 3; i++) assertTrue(Files.exists(snapshot.resolve("model-0000" + i + "-of-00003.safetensors")));
        assertTrue(HubDownloader.isComplete(snapshot));
    }

    @Test
    void concurrentDownloadsOfTheSameModelDoNotCorruptEachOther() throws Exception {
        Path[] results = new Path[4];
        Throwable[] errors = new Throwable[4];
        Thread[] threads = new Thread[4];
        for (int i = 0; i < threads.length; i++) {
            int k = i;
            threads[i] = new Thread(() -> {
                try {
                    results[k] = downloader(null, false).resolve(RepoId.parse(REPO), false);
                } catch (Throwable t) {
                    errors[k] = t;
                }
            });
            threads[i].start();
        }
        for (Thread t : threads) t.join();
        for (Throwable t : errors) if (t != null) throw new AssertionError("a concurrent download failed", t);
        for (Path p : results) assertEquals(results[0], p);
        assertEquals(results[0], results[1]);
        assertArrayEquals(files.get("model.safetensors"), Files.readAllBytes(results[0].resolve("model.safetensors")));
    }

    @Test
    void theDownloadedModelAnswers() {
        Path snapshot = downloader(null, false).resolve(RepoId.parse(REPO), false);
        try (BloomModel m = Bloom.load(snapshot, LoadOptions.defaults().withThreads(2).withContextLength(64))) {
            GenerationResult r = m.generate("Bonjour", GenerationConfig.builder().maxNewTokens(5).stopAtEos(false).build(),
                    GenerationListener.NONE);
            assertEquals(5, r.generatedTokens());
        }
    }

    @Test
    void repoIdsAndRevisions() {
        assertEquals(new RepoId("cmarkea/bloomz-3b-dpo-chat", "main"), RepoId.parse("cmarkea/bloomz-3b-dpo-chat"));
        assertEquals("v1.0", RepoId.parse("org/name@v1.0").revision());
        assertEquals("models--org--name", RepoId.parse("org/name").folderName());
        assertTrue(RepoId.parse("org/name@" + COMMIT).isCommit());
        assertFalse(RepoId.looksLikeRepo("/tmp/model"));
        assertFalse(RepoId.looksLikeRepo("./org/name"));
        assertThrows(io.bloomj.InvalidInputException.class, () -> RepoId.parse("not a repo"));
    }
}
