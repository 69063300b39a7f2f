package org.aleph4j.client.account;

import org.aleph4j.message.EthAccount;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The keys under a config home ({@code $ALEPH_HOME}, else {@code ~/.aleph-im}), laid out as
 * upstream's CLI does: {@code private-keys/ethereum.key} holds the default key as 32 raw bytes,
 * mode 0600.
 */
public final class AccountStore {
    public static final String DEFAULT_KEY_NAME = "ethereum.key";

    private final Path home;

    public AccountStore(Path home) {
        this.home = home;
    }

    /** {@code $ALEPH_HOME} if set, else {@code ~/.aleph-im} (from {@code HOME}, else the JVM's user.home). */
    public static Path defaultHome(Map<String, String> env) {
        String h = env.get("ALEPH_HOME");
        if (h != null && !h.isBlank()) return Path.of(h);
        String userHome = env.getOrDefault("HOME", System.getProperty("user.home"));
        return Path.of(userHome, ".aleph-im");
    }

    public Path home() {
        return home;
    }

    public Path keysDir() {
        return home.resolve("private-keys");
    }

    /** {@code <home>/private-keys/ethereum.key}. */
    public Path defaultKeyFile() {
        return keysDir().resolve(DEFAULT_KEY_NAME);
    }

    /** Generates a key and writes it to {@code keyFile} (default file when null); refuses to overwrite unless {@code replace}. */
    public EthAccount create(Path keyFile, boolean replace, SecureRandom random) throws IOException {
        EthAccount account = EthAccount.generate(random);
        KeyFiles.write(keyFile == null ? defaultKeyFile() : keyFile, account, replace);
        return account;
    }

    /** Writes a given key (hex) to {@code keyFile} (default file when null). */
    public EthAccount importHex(String hexKey, Path keyFile, boolean replace) throws IOException {
        EthAccount account = EthAccount.fromHex(hexKey);
        KeyFiles.write(keyFile == null ? defaultKeyFile() : keyFile, account, replace);
        return account;
    }

    /**
     * The account to sign with: the hex key if given, else the key file if given, else the
     * default key file. Throws {@link NoAccountException} when none exists.
     */
    public EthAccount resolve(String privateKeyHex, Path privateKeyFile) throws IOException {
        if (privateKeyHex != null && !privateKeyHex.isBlank()) {
            try {
                return EthAccount.fromHex(privateKeyHex);
            } catch (IllegalArgumentException e) {
                throw new IOException("--private-key: " + e.getMessage());
            }
        }
        Path file = privateKeyFile != null ? privateKeyFile : defaultKeyFile();
        if (!Files.exists(file)) throw new NoAccountException(file);
        return KeyFiles.read(file);
    }

    /** The key files in the keys directory, sorted by name. */
    public List<Path> keyFiles() throws IOException {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(keysDir())) return out;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(keysDir(), "*.key")) {
            ds.forEach(out::add);
        }
        out.sort(null);
        return out;
    }

    /** No key file where one was expected. */
    public static final class NoAccountException extends IOException {
        private final Path file;

        public NoAccountException(Path file) {
            super("no private key at " + file + " — create one with `aleph account create` or pass --private-key-file");
            this.file = file;
        }

        public Path file() {
            return file;
        }
    }
}
