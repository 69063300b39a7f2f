/**
 * Placement of persistent programs: a pure function from nodes, programs and existing allocations to
 * a plan, with filters (capacity, runtime, requirements) and a spreading score. No clock, no I/O.
 */
package org.aleph4j.scheduler.placement;
