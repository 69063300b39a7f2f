package org.aleph4j.crn.execution;

/** Lifecycle of an execution (ARCHITECTURE §6). */
public enum ExecutionState { DEFINED, PREPARING, STARTING, RUNNING, STOPPING, STOPPED, FAILED }
