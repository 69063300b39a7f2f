/**
 * Message processing: {@link org.aleph4j.ccn.pipeline.MessageHandlers} decides one message (content, permission,
 * dependencies, the per-type handler, cost and balance) with {@code Permissions}, {@code Aggregates} and
 * {@code VolumeRefs}; {@link org.aleph4j.ccn.pipeline.PipelineWorker} is the single worker that stores incoming
 * messages through {@code MessageIntake}, runs the handlers over due pending rows, retries, wakes waiters and
 * publishes.
 */
package org.aleph4j.ccn.pipeline;
