package org.aleph4j.crn.prepare;

/** The CCN could not be reached or answered with an error. */
public class CcnSourceException extends RuntimeException {
    public CcnSourceException(String message, Throwable cause) {
        super(message, cause);
    }
}
