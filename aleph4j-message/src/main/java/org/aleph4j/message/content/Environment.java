package org.aleph4j.message.content;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/** A program's environment flags; all default to false. */
@JsonPropertyOrder({"reproducible", "internet", "aleph_api", "shared_cache"})
public record Environment(Boolean reproducible, Boolean internet, Boolean alephApi, Boolean sharedCache) {
    public Environment {
        reproducible = reproducible != null && reproducible;
        internet = internet != null && internet;
        alephApi = alephApi != null && alephApi;
        sharedCache = sharedCache != null && sharedCache;
    }
}
