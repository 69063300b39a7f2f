package org.aleph4j.message.content;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.aleph4j.message.ItemHashes;

/** Collects schema problems for content records. */
final class Checks {
    final List<String> problems = new ArrayList<>();

    Checks required(String field, Object value) {
        if (value == null) problems.add("field required: " + field);
        return this;
    }

    Checks range(String field, Integer value, long min, long max) {
        if (value != null && (value < min || value > max)) {
            problems.add(field + " must be between " + min + " and " + max + ", got " + value);
        }
        return this;
    }

    Checks maxLen(String field, String value, int max) {
        if (value != null && value.length() > max) problems.add(field + " is longer than " + max + " characters");
        return this;
    }

    Checks maxSize(String field, java.util.Collection<?> value, int max) {
        if (value != null && value.size() > max) problems.add(field + " has more than " + max + " items");
        return this;
    }

    Checks maxSize(String field, Map<?, ?> value, int max) {
        if (value != null && value.size() > max) problems.add(field + " has more than " + max + " entries");
        return this;
    }

    Checks itemHash(String field, String value) {
        if (value != null && !ItemHashes.isItemHash(value)) problems.add(field + " is not a valid item hash: " + value);
        return this;
    }

    Checks time(double time) {
        if (!(time >= 0 && time <= 9_223_372_036.0)) problems.add("time must be between 0 and 9223372036, got " + time);
        return this;
    }

    Checks address(String address) {
        if (address == null || address.isBlank()) problems.add("field required: address");
        return this;
    }

    Checks add(List<String> more) {
        problems.addAll(more);
        return this;
    }

    Checks check(boolean ok, String problem) {
        if (!ok) problems.add(problem);
        return this;
    }

    List<String> done() {
        return List.copyOf(problems);
    }
}
