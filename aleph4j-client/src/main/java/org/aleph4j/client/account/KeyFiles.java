package org.aleph4j.client.account;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import org.aleph4j.message.EthAccount;

/**
 * Key files in upstream's format: the raw 32 private-key bytes (hex text is accepted on read),
 * written atomically with permissions 0600 in a 0700 directory.
 */
public final class KeyFiles {
    private KeyFiles() {}

    /** Reads a key file: raw 32 bytes, or 64 hex digits (optionally 0x-prefixed, whitespace ignored). */
    public static EthAccount read(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        if (bytes.length == 32) return EthAccount.fromPrivateKey(bytes);
        String text = new String(bytes, StandardCharsets.US_ASCII).strip();
        try {
            return EthAccount.fromHex(text);
        } catch (IllegalArgumentException e) {
            throw new IOException("not a private key file (expected 32 raw bytes or 64 hex digits): " + file);
        }
    }

    /** Writes {@code account}'s key to {@code file}; refuses to replace an existing file unless {@code replace}. */
    public static void write(Path file, EthAccount account, boolean replace) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
            trySetPermissions(dir, "rwx------");
        }
        if (!replace && Files.exists(file)) throw new FileAlreadyExistsException(file.toString(), null, "key file exists");
        Path tmp = Files.createTempFile(dir, ".key-", ".tmp");
        try {
            trySetPermissions(tmp, "rw-------");
            Files.write(tmp, account.privateKeyBytes());
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void trySetPermissions(Path p, String perms) throws IOException {
        try {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(perms));
        } catch (UnsupportedOperationException ignored) {
            // Non-POSIX file systems keep their default permissions.
        }
    }
}
