package org.aleph4j.ccn.pipeline;

import java.util.ArrayList;
import java.util.List;

/** Side effects of processing, applied after the transaction commits: status frames and file deletions. */
public final class Effects {
    /** A message whose status changed (forgotten, removing, back to processed). */
    public record StatusChange(String itemHash, String status) {}

    final List<StatusChange> statusChanges = new ArrayList<>();
    final List<String> filesToDelete = new ArrayList<>();
    final List<String> wakeKeys = new ArrayList<>();

    void status(String hash, String status) {
        statusChanges.add(new StatusChange(hash, status));
    }

    public List<StatusChange> statusChanges() {
        return statusChanges;
    }
}
