package org.aleph4j.scheduler.placement;

import java.util.List;
import java.util.Map;

/** New assignments, and for each program that fits nowhere, why. */
public record Plan(List<Assignment> assignments, Map<String, String> unschedulable) {
    public Plan {
        assignments = List.copyOf(assignments);
        unschedulable = Map.copyOf(unschedulable);
    }

    /** Program {@code itemHash} goes to the node with address {@code nodeAddress}. */
    public record Assignment(String itemHash, String nodeAddress) {}
}
