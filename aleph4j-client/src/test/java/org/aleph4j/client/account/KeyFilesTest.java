package org.aleph4j.client.account;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import org.aleph4j.message.EthAccount;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyFilesTest {
    @TempDir
    Path dir;

    @Test
    void aStoredKeyIsRaw32BytesWithOwnerOnlyPermissionsAndReadsBackToTheSameAddress() throws Exception {
        EthAccount account = EthAccount.generate(new SecureRandom());
        Path file = dir.resolve("private-keys/ethereum.key");
        KeyFiles.write(file, account, false);
        assertThat(Files.readAllBytes(file)).hasSize(32).isEqualTo(account.privateKeyBytes());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent()))).isEqualTo("rwx------");
        assertThat(KeyFiles.read(file).address()).isEqualTo(account.address());
    }

    @Test
    void anExistingKeyIsNotReplacedUnlessAsked() throws Exception {
        Path file = dir.resolve("k.key");
        EthAccount first = EthAccount.generate(new SecureRandom());
        KeyFiles.write(file, first, false);
        assertThatThrownBy(() -> KeyFiles.write(file, EthAccount.generate(new SecureRandom()), false))
                .isInstanceOf(FileAlreadyExistsException.class);
        assertThat(KeyFiles.read(file)).isEqualTo(first);
        EthAccount second = EthAccount.generate(new SecureRandom());
        KeyFiles.write(file, second, true);
        assertThat(KeyFiles.read(file)).isEqualTo(second);
    }

    @Test
    void hexKeyFilesAreImportedAndGarbageIsRefused() throws Exception {
        EthAccount account = EthAccount.generate(new SecureRandom());
        Path hex = dir.resolve("hex.key");
        Files.writeString(hex, "0x" + HexFormat.of().formatHex(account.privateKeyBytes()) + "\n", StandardCharsets.US_ASCII);
        assertThat(KeyFiles.read(hex).address()).isEqualTo(account.address());
        Path junk = dir.resolve("junk.key");
        Files.writeString(junk, "hello");
        assertThatThrownBy(() -> KeyFiles.read(junk)).hasMessageContaining("not a private key file");
    }
}
