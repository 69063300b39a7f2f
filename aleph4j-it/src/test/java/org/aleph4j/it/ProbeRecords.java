package org.aleph4j.it;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What the fault suite's probe program printed: one span per copy (node and boot id, so two
 * processes with the same namespace-local pid are still two copies), from its first record to its last.
 */
final class ProbeRecords {
    /** One running copy of the program as its records show it. */
    record Span(int node, String boot, long epoch, double first, double last) {
        @Override
        public String toString() {
            return String.format("crn-%d/%s epoch %d [%.3f, %.3f]", node, boot.substring(0, 6), epoch, first, last);
        }
    }

    /** Two copies that ran at the same time, and for how long. */
    record Overlap(Span earlier, Span later, double seconds) {}

    private final Map<String, Span> spans = new LinkedHashMap<>();

    void read(int node, List<String> lines) {
        for (String line : lines) {
            String[] p = line.strip().split(" ");
            // the node's log prefixes each line with the time it relayed it; the probe's own time is what counts
            if (p.length == 6 && p[0].matches("\\d+")) p = java.util.Arrays.copyOfRange(p, 1, 6);
            if (p.length != 5 || !p[0].equals("probe") || !p[3].matches("\\d+")) continue;
            double t;
            try {
                t = Double.parseDouble(p[4]);
            } catch (NumberFormatException e) {
                continue; // a line cut by a kill
            }
            String key = node + "/" + p[1];
            long epoch = Long.parseLong(p[3]);
            spans.merge(key, new Span(node, p[1], epoch, t, t),
                    (a, b) -> new Span(a.node(), a.boot(), a.epoch(), Math.min(a.first(), b.first()), Math.max(a.last(), b.last())));
        }
    }

    List<Span> spans() {
        return spans.values().stream().sorted(Comparator.comparingDouble(Span::first)).toList();
    }

    /** Every pair of copies whose spans intersect, among those still running at {@code since} or started later. */
    List<Overlap> overlaps(double since) {
        List<Span> s = spans().stream().filter(x -> x.last() >= since).toList();
        List<Overlap> out = new ArrayList<>();
        for (int i = 0; i < s.size(); i++) {
            for (int j = i + 1; j < s.size(); j++) {
                double o = Math.min(s.get(i).last(), s.get(j).last()) - s.get(j).first();
                if (o >= 0) out.add(new Overlap(s.get(i), s.get(j), o));
            }
        }
        return out;
    }

    /** The copy that started first after {@code t} (unix seconds), if any. */
    java.util.Optional<Span> firstStartedAfter(double t) {
        return spans().stream().filter(s -> s.first() > t).findFirst();
    }

    /** The copy that was running at {@code t}, if any. */
    java.util.Optional<Span> runningAt(double t) {
        return spans().stream().filter(s -> s.first() <= t && s.last() >= t).findFirst();
    }

    @Override
    public String toString() {
        return spans().stream().map(Span::toString).collect(Collectors.joining("\n"));
    }
}
