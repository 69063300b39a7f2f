package org.aleph4j.scheduler.reconcile;

import org.aleph4j.client.scheduler.ExecutionReport;

import java.util.List;

/**
 * What a heartbeat says about a node: its address (lowercase), the executor it runs (null: unknown)
 * and whether it isolates programs, and its persistent executions.
 */
public record NodeReport(String nodeAddress, String executor, boolean isolated, List<ExecutionReport> executions) {
    public NodeReport {
        executions = List.copyOf(executions);
    }
}
