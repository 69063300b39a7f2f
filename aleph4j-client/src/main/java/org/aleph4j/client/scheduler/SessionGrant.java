package org.aleph4j.client.scheduler;

import org.aleph4j.message.KeySeal;

/**
 * A heartbeat session opened by the scheduler in a signed heartbeat answer: its id, the 32-byte secret
 * sealed to the node's public key ({@link KeySeal}, context {@link HeartbeatSession#sealContext}), the
 * incarnation it belongs to and how long it lasts. Only the node's key opens the secret.
 */
public record SessionGrant(String id, KeySeal.Sealed key, long incarnation, long expiresInMs) {}
