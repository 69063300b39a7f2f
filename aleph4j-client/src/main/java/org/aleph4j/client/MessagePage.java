package org.aleph4j.client;

import org.aleph4j.message.AlephMessage;

import java.util.List;

/** One page of {@code GET /api/v0/messages.json}. */
public record MessagePage(List<AlephMessage> messages, int page, long total, int perPage) {}
