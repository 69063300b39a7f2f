package org.aleph4j.ccn.pipeline;

import java.util.ArrayList;
import java.util.List;

/**
 * Side effects of processing, applied after the transaction commits: file deletions and wake-ups. Status changes
 * need no entry here: each one is numbered in the change sequence, and the worker publishes what it reads back.
 */
public final class Effects {
    final List<String> filesToDelete = new ArrayList<>();
    final List<String> wakeKeys = new ArrayList<>();
}
