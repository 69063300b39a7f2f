package org.aleph4j.message;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The upstream corpus (testdata/corpus): one entry per row of messages_index.tsv, with the message it points at. */
final class Corpus {
    private Corpus() {}

    /** One message of the corpus, with the MANIFEST's facts about it. */
    record Entry(String file, String jsonPath, String type, String chain, String itemHashForm, boolean hasItemContent,
                 String shaVerdict, String ethVerdict, JsonNode message) {
        String id() {
            return file + "#" + jsonPath;
        }

        @Override
        public String toString() {
            return id() + " (" + type + "/" + chain + ")";
        }
    }

    /** The repository's copy of the corpus ({@code testdata/corpus}, set by the parent POM). */
    static Path root() {
        return Path.of(System.getProperty("aleph4j.corpus", "../testdata/corpus"));
    }

    static List<Entry> entries() {
        try {
            List<String> lines = Files.readAllLines(root().resolve("messages_index.tsv"));
            List<Entry> out = new ArrayList<>();
            for (String line : lines.subList(1, lines.size())) {
                if (line.isBlank()) continue;
                String[] c = line.split("\t", -1);
                JsonNode doc = Json.MAPPER.readTree(Files.readString(root().resolve(c[0])));
                out.add(new Entry(c[0], c[1], c[2], c[3], c[6], "True".equals(c[8]), c[10], c.length > 12 ? c[12] : "",
                        resolve(doc, c[1])));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final Pattern STEP = Pattern.compile("\\.([A-Za-z_]+)|\\[(\\d+)]");

    /** Follows the index's simple JSONPath ({@code $}, {@code $[0]}, {@code $.message}, {@code [1].message}...). */
    static JsonNode resolve(JsonNode doc, String path) {
        String p = path.startsWith("$") ? path.substring(1) : path;
        JsonNode node = doc;
        Matcher m = STEP.matcher(p);
        int at = 0;
        while (m.find()) {
            if (m.start() != at) throw new IllegalArgumentException("unsupported path " + path);
            node = m.group(1) != null ? node.get(m.group(1)) : node.get(Integer.parseInt(m.group(2)));
            at = m.end();
        }
        if (at != p.length() || node == null) throw new IllegalArgumentException("unresolvable path " + path);
        return node;
    }
}
