package org.aleph4j.client;

import com.fasterxml.jackson.databind.JsonNode;

/** Answer to {@code POST /api/v0/storage/add_file}: HTTP status, {@code status} and the file {@code hash}. */
public record UploadResult(int httpStatus, String status, String hash, JsonNode body) {}
