package org.aleph4j.client.scheduler;

/** What a CRN offers to persistent programs: vCPUs, memory and disk in MiB. */
public record Capacity(int vcpus, long memoryMib, long diskMib) {}
