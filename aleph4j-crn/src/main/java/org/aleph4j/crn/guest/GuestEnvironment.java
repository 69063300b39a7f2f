package org.aleph4j.crn.guest;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.aleph4j.message.HostLabels;

/**
 * The variables upstream's guest init ({@code init1.py} of runtime aleph-debian-12-python) sets for
 * every program, with aleph4j's values. Pure.
 */
public final class GuestEnvironment {
    /**
     * Upstream's init is 2.0.0; this is the same guest contract (variables, guest API paths)
     * implemented by aleph4j, marked as such in semver build metadata.
     */
    public static final String INIT_VERSION = "2.0.0+aleph4j";
    /** Upstream's base URL of the guest API; it is reached through {@link #SOCKET_NAME}, as upstream's SDK does. */
    public static final String API_HOST = "http://localhost";
    /** The socket's file name, in the program's temporary directory: {@code /tmp/socat-socket} in the sandbox, as upstream. */
    public static final String SOCKET_NAME = "socat-socket";

    private GuestEnvironment() {}

    /** The program's host name: base32 of its item hash, as upstream's init and the CRN's host routing. */
    public static String hostname(String itemHash) {
        return HostLabels.label(itemHash);
    }

    /** @param socket the guest API's socket as the program sees it */
    public static Map<String, String> variables(String itemHash, Path socket) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("ALEPH_INIT_VERSION", INIT_VERSION);
        env.put("ALEPH_API_HOST", API_HOST);
        env.put("ALEPH_API_UNIX_SOCKET", socket.toString());
        env.put("ALEPH_REMOTE_CRYPTO_HOST", API_HOST);
        env.put("ALEPH_REMOTE_CRYPTO_UNIX_SOCKET", socket.toString());
        env.put("ALEPH_ADDRESS_TO_USE", hostname(itemHash));
        return env;
    }
}
