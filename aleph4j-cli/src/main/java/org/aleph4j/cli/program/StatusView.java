package org.aleph4j.cli.program;

import org.aleph4j.client.scheduler.Allocation;
import org.aleph4j.client.scheduler.MoveRecord;
import org.aleph4j.client.scheduler.SnapshotRef;
import org.aleph4j.client.scheduler.VmInfo;
import org.aleph4j.client.scheduler.VolumeInfo;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The human text of {@code aleph program status} for an allocated persistent program: state, node,
 * URL, epoch, since when, where it is being moved, its history and its persistent volumes (last
 * snapshot and restores). Either the scheduler's view or the allocation may be missing.
 */
final class StatusView {
    private StatusView() {}

    /**
     * @param nodeUrls node hash to CRN URL, to name the nodes of the history
     * @param now      the time snapshot ages are counted from
     */
    static List<String> persistent(String hash, VmInfo v, Allocation allocation, Map<String, String> nodeUrls, Instant now) {
        List<String> out = new ArrayList<>();
        Allocation.Node node = allocation == null ? null : allocation.node();
        out.add("State:     " + (v == null ? "allocated"
                : v.status() + (v.schedulingStatus() == null ? "" : " (" + v.schedulingStatus() + ")")));
        out.addAll(why(v));
        String url = v != null && v.nodeUrl() != null ? v.nodeUrl() : node == null ? null : node.url();
        String nodeName = v != null && v.nodeAddress() != null ? v.nodeAddress() : node == null ? null : node.nodeId();
        out.add("Node:      " + (nodeName == null ? "-" : nodeName));
        out.add("URL:       " + (url == null ? "-" : ReachingCommand.stripSlash(url) + "/vm/" + hash));
        Long epoch = v != null && v.epoch() != null ? v.epoch() : allocation == null ? null : allocation.epoch();
        out.add("Epoch:     " + (epoch == null ? "-" : epoch));
        double since = v != null && v.since() != null ? v.since() : allocation == null ? 0 : allocation.period().startTimestamp();
        out.add("Since:     " + (since > 0 ? time(since) : "-"));
        if (v == null) return out;
        if (v.migrationTarget() != null) out.add("Moving to: node " + v.migrationTarget());
        if (!v.history().isEmpty()) {
            out.add("History:");
            for (MoveRecord h : v.history()) {
                out.add("  " + time(h.time()) + "  "
                        + (h.epoch() == null ? "" : "epoch " + h.epoch() + "  ")
                        + (h.toNode() == null ? "" : "on " + nodeUrls.getOrDefault(h.toNode(), h.toNode()) + "  ")
                        + (h.reason() == null ? "" : h.reason()));
            }
        }
        out.addAll(volumes(v.volumes(), now));
        return out;
    }

    /**
     * Why the program is in its state, in at most two lines: the scheduler's reason (why it is
     * unschedulable or was removed) and the newest failure it was moved for (a crash loop, with
     * the program's own last error). Nothing when the scheduler gave neither.
     */
    static List<String> why(VmInfo v) {
        List<String> out = new ArrayList<>();
        if (v == null) return out;
        if (v.reason() != null && !v.reason().isBlank()) out.add("Reason:    " + oneLine(v.reason()));
        if (v.lastError() != null && !v.lastError().isBlank()) out.add("Last error: " + oneLine(v.lastError()));
        return out;
    }

    /** {@code s} on one line (a program's error may span several), at most 400 characters. */
    static String oneLine(String s) {
        String flat = s.strip().replaceAll("\\s*\\R\\s*", " | ");
        return flat.length() > 400 ? flat.substring(0, 400) + "…" : flat;
    }

    /** The "Volumes:" section: each volume, its last snapshot and its restores (nothing when there is no volume). */
    static List<String> volumes(List<VolumeInfo> volumes, Instant now) {
        List<String> out = new ArrayList<>();
        if (volumes.isEmpty()) return out;
        out.add("Volumes:");
        for (VolumeInfo vol : volumes) {
            String label = vol.name() != null ? vol.name() : vol.mount() != null ? vol.mount() : vol.volumeId();
            out.add("  " + label + "  mount " + (vol.mount() == null ? "-" : vol.mount()) + ", "
                    + (vol.sizeMib() == null ? "?" : vol.sizeMib()) + " MiB");
            SnapshotRef s = vol.lastSnapshot();
            out.add("    last snapshot: " + (s == null ? "none yet"
                    : "seq " + s.seq() + (s.full() ? " (full)" : " (delta of seq " + s.parentSeq() + ")") + ", epoch " + s.epoch()
                    + ", " + age(s.time(), now) + ", " + bytes(s.bytes()) + ", node " + (s.nodeAddress() == null ? "-" : s.nodeAddress())));
            if (vol.restores().isEmpty()) {
                out.add("    restores: none");
                continue;
            }
            out.add("    restores:");
            for (VolumeInfo.RestoreRecord r : vol.restores()) {
                String node = r.nodeHash() != null ? r.nodeHash() : r.nodeAddress();
                out.add("      " + time(r.time()) + "  node " + node + "  epoch " + r.epoch() + "  "
                        + (r.seq() == null ? "started empty" : "restored seq " + r.seq()));
            }
        }
        return out;
    }

    /** How long before {@code now} the time {@code seconds} (epoch seconds) was, e.g. "3 s ago", "5 min ago". */
    static String age(double seconds, Instant now) {
        long s = Math.max(0, Duration.between(instant(seconds), now).toSeconds());
        if (s < 120) return s + " s ago";
        if (s < 120 * 60) return s / 60 + " min ago";
        if (s < 48 * 3600) return s / 3600 + " h ago";
        return s / 86400 + " d ago";
    }

    /** A byte count in binary units, e.g. "512 B", "1.5 KiB", "3.0 MiB". */
    static String bytes(long n) {
        if (n < 1024) return n + " B";
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int i = -1;
        while (v >= 1024 && i < units.length - 1) {
            v /= 1024;
            i++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[i]);
    }

    static String time(double seconds) {
        return org.aleph4j.cli.OutputFormat.time(seconds);
    }

    private static Instant instant(double seconds) {
        return Instant.ofEpochMilli((long) (seconds * 1000));
    }
}
