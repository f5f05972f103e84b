package io.bloomj.bench;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The version and git commit this jar was built from (written by the build into bloomj-build.properties). */
public final class BuildInfo {
    private static final Properties PROPS = load();

    private BuildInfo() {}

    private static Properties load() {
        Properties p = new Properties();
        try (InputStream in = BuildInfo.class.getResourceAsStream("/bloomj-build.properties")) {
            if (in != null) p.load(in);
        } catch (IOException ignored) {
            // reported as unknown
        }
        return p;
    }

    public static String commit() {
        String c = PROPS.getProperty("commit", "unknown");
        return c.startsWith("${") ? "unknown" : c;
    }

    public static String version() {
        String v = PROPS.getProperty("version", "unknown");
        return v.startsWith("${") ? "unknown" : v;
    }
}
