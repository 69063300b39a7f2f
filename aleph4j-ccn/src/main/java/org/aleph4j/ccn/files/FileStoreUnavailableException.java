package org.aleph4j.ccn.files;

/**
 * The file store cannot serve now (the object store is down, answered 5xx, timed out, or returned bytes that do not
 * hash to their name): answered 503 with Retry-After, never 500; a message that needs the file stays pending.
 */
public final class FileStoreUnavailableException extends RuntimeException {
    public FileStoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
