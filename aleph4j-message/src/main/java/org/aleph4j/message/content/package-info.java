/**
 * Typed contents of the six message types, with upstream's field order, defaults and limits.
 * Records serialise to the canonical {@code item_content} through {@link org.aleph4j.message.Json}.
 */
package org.aleph4j.message.content;
